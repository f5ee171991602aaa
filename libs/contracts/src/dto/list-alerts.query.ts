import { Type } from 'class-transformer';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ALERT_STATUSES, ALERT_TYPES, AlertStatus, AlertType, DEVICE_ID_PATTERN } from '../wire';

/** Query of `GET /alerts`: filters, page size and the cursor of the previous page. */
export class ListAlertsQuery {
  @ApiPropertyOptional({ enum: ALERT_STATUSES })
  @IsOptional()
  @IsIn(ALERT_STATUSES)
  status?: AlertStatus;

  @ApiPropertyOptional({ enum: ALERT_TYPES })
  @IsOptional()
  @IsIn(ALERT_TYPES)
  type?: AlertType;

  @ApiPropertyOptional({ pattern: DEVICE_ID_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -' })
  deviceId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 500' })
  @Min(1, { message: 'limit must be a whole number from 1 to 500' })
  @Max(500, { message: 'limit must be a whole number from 1 to 500' })
  limit: number = 50;

  @ApiPropertyOptional({ maxLength: 200, description: "the previous page's nextCursor" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  before?: string;
}
