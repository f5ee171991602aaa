import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { ALERT_SEVERITIES, ALERT_TYPES, AlertSeverity, AlertType, DEVICE_ID_PATTERN } from '../wire';
import { IsWellFormedText, IsZonedTimestamp } from './text.validators';

/** Body of `POST /alerts` (contract §3). Unknown fields are rejected by the validation pipe. */
export class CreateAlertDto {
  /** The idempotency key the device made at press time. */
  @IsOptional()
  @IsUUID('all', { message: 'id must be a UUID' })
  id?: string;

  @IsString()
  @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -' })
  deviceId: string;

  @IsIn(ALERT_TYPES)
  type: AlertType;

  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  severity?: AlertSeverity;

  @IsOptional()
  @IsString()
  @MaxLength(120)
  @IsWellFormedText()
  location?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsWellFormedText()
  message?: string;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsWellFormedText()
  button?: string;

  /** A Pi without a clock may send an old date: it is kept, never refused for being past. */
  @IsOptional()
  @IsZonedTimestamp()
  triggeredAt?: string;
}
