/**
 * A driver cannot work on this system. `code` is a key of the error-code table, so the line
 * that logs it carries a stable code; the message says what to change.
 */
export class GpioUnavailableError extends Error {
  constructor(
    message: string,
    readonly code: string = 'GPIO_UNAVAILABLE',
  ) {
    super(message);
    this.name = 'GpioUnavailableError';
  }
}
