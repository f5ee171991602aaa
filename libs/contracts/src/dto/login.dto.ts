import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Body of `POST /auth/login`. Lengths are bounded so a huge body cannot cost a huge hash. */
export class LoginDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  name: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}
