import { ValidationPipeOptions } from '@nestjs/common';

/** How every body and query is validated (the benchmark's ceiling uses the same). */
export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  // Values are checked as sent: "5" is not a number in a JSON body.
  transformOptions: { enableImplicitConversion: false },
  validationError: { target: false, value: false },
};
