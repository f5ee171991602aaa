import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { OptionalLocation } from './location.field';
import { IsWellFormedText } from './text.validators';

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
}
