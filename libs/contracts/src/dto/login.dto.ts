import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of `POST /auth/login`. Lengths are bounded so a huge body cannot cost a huge hash. */
export class LoginDto {
  @ApiProperty({ minLength: 1, maxLength: 256 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  name: string;

  @ApiProperty({ minLength: 1, maxLength: 1024, format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}
