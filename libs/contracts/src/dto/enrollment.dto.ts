import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DEVICE_ID_PATTERN } from '../wire';
import { IsWellFormedText } from './text.validators';

/** Body of `POST /devices/enrollments`: the device a one-time code will let in. */
export class CreateEnrollmentDto {
  @ApiProperty({ pattern: DEVICE_ID_PATTERN.source, example: 'pi-accueil-01' })
  @IsString()
  @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -' })
  deviceId: string;

  @ApiPropertyOptional({ maxLength: 120, example: 'Accueil, rez-de-chaussée' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  @IsWellFormedText()
  location?: string;
}

/** Body of `POST /devices/enroll`: the code the install command carries. */
export class EnrollDto {
  @ApiProperty({ maxLength: 128, description: 'the one-time code of `POST /devices/enrollments`' })
  @IsString()
  @MaxLength(128)
  code: string;
}
