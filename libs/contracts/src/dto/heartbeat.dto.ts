import { IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsWellFormedText } from './text.validators';

/** Body of `PUT /devices/{deviceId}/heartbeat`. */
export class HeartbeatDto {
  @IsOptional()
  @IsString()
  @MaxLength(120)
  @IsWellFormedText()
  location?: string;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsWellFormedText()
  agentVersion?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  spoolDepth?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  uptimeSeconds?: number;
}
