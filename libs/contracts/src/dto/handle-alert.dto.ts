import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsWellFormedText } from './text.validators';

/** Body of `POST /alerts/{id}/acknowledge` and `/resolve`. */
export class HandleAlertDto {
  /**
   * Who handles it when operators do not sign in (VIGIE_AUTH=off); otherwise the signed-in
   * operator. Absent is allowed, null is not (`@IsOptional` would let null through).
   */
  @ApiPropertyOptional({
    maxLength: 64,
    description: 'who handles it, only where operators do not sign in (VIGIE_AUTH=off)',
  })
  @ValidateIf((_dto, value) => value !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @IsWellFormedText()
  by?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @IsWellFormedText()
  note?: string;
}
