import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { DEVICE_FEEDBACK_SHOWN, DeviceFeedbackShown } from '../wire/device-stream';
import { OptionalLocation } from './location.field';
import { IsWellFormedText, IsZonedTimestamp } from './text.validators';

/** Reports of one heartbeat at most: an agent reports each alert's states once, a few a day. */
export const MAX_FEEDBACK_REPORTS = 20;

/** That the button showed the person an alert's state (contract §8): the alert's timeline records it. */
export class FeedbackReportDto {
  @ApiProperty({ format: 'uuid', description: 'an alert this device raised' })
  @IsUUID('all', { message: 'alertId must be a UUID' })
  alertId!: string;

  @ApiProperty({ enum: DEVICE_FEEDBACK_SHOWN })
  @IsIn(DEVICE_FEEDBACK_SHOWN, { message: `state must be one of ${DEVICE_FEEDBACK_SHOWN.join(', ')}` })
  state!: DeviceFeedbackShown;

  @ApiProperty({ format: 'date-time', description: 'when the button showed it, by the device clock' })
  @IsZonedTimestamp()
  at!: string;
}

/** Body of `PUT /devices/{deviceId}/heartbeat`. */
export class HeartbeatDto {
  @OptionalLocation()
  location?: string;

  @ApiPropertyOptional({ maxLength: 32 })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsWellFormedText()
  agentVersion?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 1_000_000_000,
    description: 'alerts waiting in the spool',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  spoolDepth?: number;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  uptimeSeconds?: number;

  @ApiPropertyOptional({
    type: [FeedbackReportDto],
    maxItems: MAX_FEEDBACK_REPORTS,
    description: "what the button showed since the last heartbeat: recorded in the alert's timeline",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_FEEDBACK_REPORTS)
  @ValidateNested({ each: true })
  @Type(() => FeedbackReportDto)
  feedback?: FeedbackReportDto[];
}
