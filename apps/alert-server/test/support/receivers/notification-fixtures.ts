import { randomUUID } from 'node:crypto';
import type { Alert, Device } from '@app/contracts';
import type { Notification } from '../../../src/notifications/channels/channel';

/**
 * An open fire alert in a place whose name needs more than ASCII (accents, an em dash): what a
 * French site sends, and what breaks a header written as Latin-1.
 */
export function anAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: randomUUID(),
    deviceId: 'pi-accueil-01',
    type: 'fire',
    severity: 'critical',
    location: 'Bâtiment É — salle des fêtes',
    message: 'Fumée près de l’entrée',
    button: 'rouge',
    triggeredAt: '2026-03-02T08:15:00.000Z',
    receivedAt: new Date(Date.now() - 60_000).toISOString(),
    status: 'open',
    acknowledgedAt: null,
    acknowledgedBy: null,
    acknowledgementNote: null,
    resolvedAt: null,
    resolvedBy: null,
    resolutionNote: null,
    ...overrides,
  };
}

export function aDevice(overrides: Partial<Device> = {}): Device {
  return {
    id: 'pi-accueil-01',
    location: 'Bâtiment É — accueil',
    status: 'offline',
    lastSeenAt: new Date(Date.now() - 300_000).toISOString(),
    agentVersion: '1.4.0',
    spoolDepth: 0,
    ...overrides,
  };
}

const base = () => ({ id: randomUUID(), dashboardUrl: 'https://vigie.example.org/' });

export const escalated = (alert = anAlert(), step = 1): Notification => ({
  ...base(),
  type: 'alert.escalated',
  step,
  alert,
});

export const acknowledged = (alert: Alert): Notification => ({
  ...base(),
  type: 'alert.acknowledged',
  step: null,
  alert: {
    ...alert,
    status: 'acknowledged',
    acknowledgedAt: new Date().toISOString(),
    acknowledgedBy: 'poste-securite',
  },
});

export const resolved = (alert: Alert): Notification => ({
  ...base(),
  type: 'alert.resolved',
  step: null,
  alert: { ...alert, status: 'resolved', resolvedAt: new Date().toISOString(), resolvedBy: 'poste-securite' },
});

export const deviceOffline = (device = aDevice()): Notification => ({
  ...base(),
  type: 'device.offline',
  step: null,
  device,
});
