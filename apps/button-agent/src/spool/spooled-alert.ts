import type { AlertSeverity, AlertType } from '@app/contracts/wire';

/** The body the agent posts: made once at press time, identical on every retry. */
export interface AlertBody {
  id: string;
  deviceId: string;
  type: AlertType;
  severity?: AlertSeverity;
  location?: string;
  message?: string;
  button?: string;
  triggeredAt: string;
}

/** One spool file. `version` lets a later agent read what an older one wrote. */
export interface SpoolRecord {
  version: 1;
  spooledAt: string;
  alert: AlertBody;
}
