import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { ALERT_SEVERITIES, ALERT_TYPES, AlertSeverity, AlertType, DEVICE_ID_PATTERN } from '../wire';
import { OptionalLocation } from './location.field';
import { IsWellFormedText, IsZonedTimestamp } from './text.validators';

/** Body of `POST /alerts`. Unknown fields are rejected by the validation pipe. */
export class CreateAlertDto {
  /** The idempotency key the device made at press time. */
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'the idempotency key made at press time; made by the server when absent',
  })
  @IsOptional()
  @IsUUID('all', { message: 'id must be a UUID' })
  id?: string;

  @ApiProperty({ pattern: DEVICE_ID_PATTERN.source, example: 'pi-accueil-01' })
  @IsString()
  @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -' })
  deviceId: string;

  @ApiProperty({ enum: ALERT_TYPES, example: 'fire' })
  @IsIn(ALERT_TYPES)
  type: AlertType;

  @ApiPropertyOptional({ enum: ALERT_SEVERITIES, description: 'default: info for test, critical otherwise' })
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  severity?: AlertSeverity;

  @OptionalLocation()
  location?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsWellFormedText()
  message?: string;

  @ApiPropertyOptional({ maxLength: 32, example: '17' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsWellFormedText()
  button?: string;

  /** A Pi without a clock may send an old date: it is kept, never refused for being past. */
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'ISO 8601 with a zone; default: when received. An old date is kept, never refused',
  })
  @IsOptional()
  @IsZonedTimestamp()
  triggeredAt?: string;
}
