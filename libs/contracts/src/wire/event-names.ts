/** Domain event names: the SSE stream, the page and the logs use the same strings. */
export const ALERT_CREATED = 'alert.created';
export const ALERT_DUPLICATE = 'alert.duplicate';
export const ALERT_REJECTED = 'alert.rejected';
export const ALERT_ACKNOWLEDGED = 'alert.acknowledged';
export const ALERT_RESOLVED = 'alert.resolved';
export const DEVICE_ONLINE = 'device.online';
export const DEVICE_OFFLINE = 'device.offline';

/** Audit events: who signed in, and which device token was refused. */
export const DEVICE_TOKEN_REFUSED = 'device.token_refused';
export const OPERATOR_SIGNED_IN = 'operator.signed_in';
export const OPERATOR_SIGN_IN_FAILED = 'operator.sign_in_failed';
export const OPERATOR_SIGNED_OUT = 'operator.signed_out';

/** Why an alert was refused: the `reason` label of `vigie_alerts_rejected_total`. */
export const REJECTION_REASONS = [
  'validation',
  'conflict',
  'too_large',
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'rate_limited',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** `missing`/`unknown`/`revoked` answer 401; `other_device` (a valid token of another device) 403. */
export type TokenRefusal = 'missing' | 'unknown' | 'revoked' | 'other_device';
