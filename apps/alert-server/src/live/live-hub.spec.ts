import { AlertCreatedEvent, DeviceOfflineEvent } from '@app/contracts';
import { AppConfig } from '../config/app-config';
import { LiveClient, LiveHub, MAX_UNREAD_BYTES } from './live-hub';

class FakeClient implements LiveClient {
  chunks: string[] = [];
  writableLength = 0;
  ended = false;
  destroyed = false;
  write(chunk: string | Buffer): boolean {
    this.chunks.push(chunk.toString());
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const alert = { id: 'a1', deviceId: 'pi-1', type: 'fire' } as unknown as AlertCreatedEvent['alert'];

describe('LiveHub', () => {
  let hub: LiveHub;

  beforeEach(() => {
    jest.useFakeTimers();
    hub = new LiveHub({ liveKeepAliveSeconds: 15 } as AppConfig);
  });

  afterEach(() => {
    hub.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('greets a client with a retry delay, then sends each event as one SSE message', () => {
    const client = new FakeClient();
    hub.add(client);
    hub.onAlertCreated(new AlertCreatedEvent(alert, 0.001));
    hub.onDeviceOffline(new DeviceOfflineEvent({ id: 'pi-2' } as DeviceOfflineEvent['device']));
    expect(client.chunks).toEqual([
      'retry: 2000\n: connected\n\n',
      `id: 1\nevent: alert.created\ndata: ${JSON.stringify(alert)}\n\n`,
      'id: 2\nevent: device.offline\ndata: {"id":"pi-2"}\n\n',
    ]);
  });

  it('sends a keep-alive comment every period', () => {
    const client = new FakeClient();
    hub.add(client);
    jest.advanceTimersByTime(15_000);
    expect(client.chunks.at(-1)).toBe(': keep-alive\n\n');
  });

  it('drops a client that stopped reading, and keeps serving the others', () => {
    const stalled = new FakeClient();
    const reader = new FakeClient();
    hub.add(stalled);
    hub.add(reader);
    stalled.writableLength = MAX_UNREAD_BYTES + 1;
    hub.onAlertCreated(new AlertCreatedEvent(alert, 0.001));
    expect(stalled.destroyed).toBe(true);
    expect(hub.size).toBe(1);
    expect(reader.chunks).toHaveLength(2);
  });

  it('forgets a client that disconnected', () => {
    const client = new FakeClient();
    const remove = hub.add(client);
    remove();
    hub.onAlertCreated(new AlertCreatedEvent(alert, 0.001));
    expect(client.chunks).toHaveLength(1);
    expect(hub.size).toBe(0);
  });

  it('ends every stream before the server closes', () => {
    const client = new FakeClient();
    hub.add(client);
    hub.beforeApplicationShutdown();
    expect(client.ended).toBe(true);
    expect(hub.size).toBe(0);
  });

  it('ends a stream opened during shutdown at once: it would hold the HTTP server’s close', () => {
    hub.beforeApplicationShutdown();
    const late = new FakeClient();
    hub.add(late);
    expect(late.ended).toBe(true);
    expect(hub.size).toBe(0);
  });
});
