import { BadRequestException } from '@nestjs/common';

/** Position after the last alert of a page: its receivedAt and id (the list's sort key). */
export interface AlertCursor {
  receivedAt: string;
  id: string;
}

const RECEIVED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCursor(cursor: AlertCursor): string {
  return Buffer.from(`${cursor.receivedAt}|${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(value: string): AlertCursor {
  const decoded = /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : '';
  const [receivedAt, id, ...rest] = decoded.split('|');
  if (rest.length > 0 || !RECEIVED_AT.test(receivedAt ?? '') || !id || id.length > 64) {
    throw new BadRequestException(['before must be the nextCursor of a previous page']);
  }
  return { receivedAt, id };
}
