import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsWellFormedText } from './text.validators';

/** Body of `POST /alerts/{id}/acknowledge` and `/resolve`. */
export class HandleAlertDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @IsWellFormedText()
  by: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsWellFormedText()
  note?: string;
}
