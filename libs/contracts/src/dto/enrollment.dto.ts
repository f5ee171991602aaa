import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { DEVICE_ID_PATTERN } from '../wire';
import { OptionalLocation } from './location.field';

/** Body of `POST /devices/enrollments`: the device a one-time code will let in. */
export class CreateEnrollmentDto {
  @ApiProperty({ pattern: DEVICE_ID_PATTERN.source, example: 'pi-accueil-01' })
  @IsString()
  @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must be 1 to 64 of A-Z a-z 0-9 . _ -' })
  deviceId: string;

  @OptionalLocation()
  location?: string;
}

/** Body of `POST /devices/enroll`: the code the install command carries. */
export class EnrollDto {
  @ApiProperty({ maxLength: 128, description: 'the one-time code of `POST /devices/enrollments`' })
  @IsString()
  @MaxLength(128)
  code: string;
}
