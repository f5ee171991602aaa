const ERROR_NAMES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
};

/**
 * Asserts the NestJS error shape `{statusCode, error, message}` and that, for each of
 * `fields`, some message names it (each message names the field at fault).
 * Returns the messages for further checks.
 */
export function expectHttpError(
  res: { status: number; body: unknown; text?: string },
  status: number,
  fields: string[] = [],
): string[] {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { statusCode: status, error: ERROR_NAMES[status], message: expect.anything() },
  });
  const message = (res.body as { message: unknown }).message;
  const messages = Array.isArray(message) ? message : [message];
  for (const text of messages) {
    expect(typeof text).toBe('string');
    expect((text as string).length).toBeGreaterThan(0);
  }
  for (const field of fields) {
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining(field)]));
  }
  return messages as string[];
}
