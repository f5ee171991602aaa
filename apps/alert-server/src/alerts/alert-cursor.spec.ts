import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor } from './alert-cursor';

describe('alert cursor', () => {
  const cursor = { receivedAt: '2026-11-24T10:15:02.131Z', id: '0196f7a2-6c3e-7b41-9d5a-2f0c8e1a4b77' };

  it('round-trips the sort key of the last alert of a page', () => {
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    'not a cursor!',
    '',
    Buffer.from('2026-11-24|x').toString('base64url'),
    Buffer.from('yesterday|0196f7a2').toString('base64url'),
    Buffer.from(`${cursor.receivedAt}|${'x'.repeat(65)}`).toString('base64url'),
    Buffer.from(`${cursor.receivedAt}|a|b`).toString('base64url'),
  ])('refuses %j with a 400 that names `before`', (value) => {
    expect(() => decodeCursor(value)).toThrow(BadRequestException);
    expect(() => decodeCursor(value)).toThrow(/Bad Request/);
  });
});
