import { Alert, DeviceAlertEvent, DeviceAlertEventName } from '@app/contracts';

/** One message of a device's stream (`GET /devices/{id}/events`). */
export interface DeviceStreamMessage {
  id: string;
  event: DeviceAlertEventName;
  data: DeviceAlertEvent;
}

/** Where a message stands in a device's stream: by time, then by step, then by alert. */
export interface StreamPosition {
  atMs: number;
  step: number;
  alertId: string;
}

const STEP: Record<DeviceAlertEventName, number> = {
  'alert.stored': 0,
  'alert.acknowledged': 1,
  'alert.resolved': 2,
};

/**
 * `<ms since the epoch>.<step>.<alert id>`: made from the alert's stored times, so a message has
 * the same id whichever server process sent it and after any restart, and a `Last-Event-ID` can
 * be resumed from the store alone, with no log of what was sent.
 */
const MESSAGE_ID = /^(\d{1,15})\.([0-2])\.([A-Za-z0-9-]{1,64})$/;

export function messageFor(event: DeviceAlertEventName, alert: Alert): DeviceStreamMessage {
  const at =
    event === 'alert.stored'
      ? alert.receivedAt
      : event === 'alert.acknowledged'
        ? alert.acknowledgedAt
        : alert.resolvedAt;
  if (at === null) throw new Error(`alert ${alert.id} has no time for ${event}`);
  const data: DeviceAlertEvent = { alertId: alert.id, type: alert.type, at };
  if (event === 'alert.acknowledged') data.by = alert.acknowledgedBy;
  if (event === 'alert.resolved') data.by = alert.resolvedBy;
  return { id: `${Date.parse(at)}.${STEP[event]}.${alert.id}`, event, data };
}

/** What has happened to a stored alert so far, in order. */
export function messagesOf(alert: Alert): DeviceStreamMessage[] {
  const messages = [messageFor('alert.stored', alert)];
  if (alert.acknowledgedAt !== null) messages.push(messageFor('alert.acknowledged', alert));
  if (alert.resolvedAt !== null) messages.push(messageFor('alert.resolved', alert));
  return messages;
}

/** The position a `Last-Event-ID` names, or null when it is not an id of this stream. */
export function parsePosition(id: string): StreamPosition | null {
  const match = MESSAGE_ID.exec(id);
  if (!match) return null;
  return { atMs: Number(match[1]), step: Number(match[2]), alertId: match[3] };
}

export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  return a.atMs - b.atMs || a.step - b.step || (a.alertId < b.alertId ? -1 : a.alertId > b.alertId ? 1 : 0);
}

/**
 * What a stream starts with, oldest first. Resuming (`from`): every message of these alerts after
 * that position, so nothing that happened while the agent was away is missed. Starting afresh:
 * where each alert still open stands (stored, or acknowledged), which is all an agent needs to
 * show after a restart; alerts already resolved need nothing shown.
 */
export function startOfStream(alerts: readonly Alert[], from: StreamPosition | null): DeviceStreamMessage[] {
  const messages = from
    ? alerts.flatMap(messagesOf).filter((message) => comparePositions(positionOf(message), from) > 0)
    : alerts.filter((alert) => alert.resolvedAt === null).flatMap(messagesOf);
  return messages.sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
}

export function formatMessage(message: DeviceStreamMessage): string {
  return `id: ${message.id}\nevent: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

function positionOf(message: DeviceStreamMessage): StreamPosition {
  return parsePosition(message.id)!;
}
