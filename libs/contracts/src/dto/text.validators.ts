import { ValidationOptions, registerDecorator } from 'class-validator';

/**
 * Rejects strings holding lone UTF-16 surrogates: they cannot be stored as UTF-8
 * without being silently altered, and an alert is returned exactly as it was sent.
 */
export function IsWellFormedText(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isWellFormedText',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be well-formed Unicode text', ...options },
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || value.isWellFormed(),
      },
    });
  };
}

const ISO_WITH_ZONE =
  /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)$/;

/** ISO 8601 date-time with an explicit zone, naming a real instant. */
export function IsZonedTimestamp(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isZonedTimestamp',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: '$property must be an ISO 8601 date-time with a zone, e.g. 2026-11-24T10:15:02.118Z',
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && ISO_WITH_ZONE.test(value) && isRealInstant(value),
      },
    });
  };
}

function isRealInstant(value: string): boolean {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return false;
  // Date.parse rolls 2026-02-31 over to March: compare the calendar date as written.
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, keeps years 0-99 as written
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}
