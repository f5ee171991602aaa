import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsWellFormedText } from './text.validators';

/** A place as people name it (an alert's, a device's): optional, at most 120 characters. */
export function OptionalLocation(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ maxLength: 120, example: 'Accueil, rez-de-chaussée' }),
    IsOptional(),
    IsString(),
    MaxLength(120),
    IsWellFormedText(),
  );
}
