import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import {
  ALERT_CREATED,
  DEVICE_OFFLINE,
  AlertCreatedEvent,
  DeviceOfflineEvent,
  DeviceOnlineEvent,
  type Alert,
  type Device,
} from '@app/contracts';
import { DomainEvents, OnDomainEvent } from './domain-events';

const device: Device = {
  id: 'pi-1',
  location: null,
  status: 'offline',
  lastSeenAt: '2026-12-02T10:00:00.000Z',
  agentVersion: null,
  spoolDepth: null,
};

@Injectable()
class OfflineRecorder {
  readonly seen: DeviceOfflineEvent[] = [];

  @OnDomainEvent(DEVICE_OFFLINE)
  onOffline(event: DeviceOfflineEvent): void {
    this.seen.push(event);
  }
}

describe('DomainEvents', () => {
  it('delivers each payload to the listeners of its name, after the emitter moved on', async () => {
    const module = await Test.createTestingModule({
      imports: [EventEmitterModule.forRoot()],
      providers: [DomainEvents, OfflineRecorder],
    }).compile();
    await module.init();
    const events = module.get(DomainEvents);
    const recorder = module.get(OfflineRecorder);

    const event = new DeviceOfflineEvent(device);
    events.emit(DEVICE_OFFLINE, event);
    expect(recorder.seen).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(recorder.seen).toEqual([event]);
    await module.close();
  });

  /**
   * Checked by the compiler (`npm run lint` type-checks the specs): each line below must be an
   * error, or `@ts-expect-error` itself is one. Nothing here needs to run.
   */
  it('refuses, at compile time, an event emitted or heard with another payload than its own', () => {
    const events = new DomainEvents(new EventEmitter2());
    const emitWrongPayload = () =>
      // @ts-expect-error alert.created carries an AlertCreatedEvent, not a device's event
      events.emit(ALERT_CREATED, new DeviceOnlineEvent(device));
    const emitUnknownName = () =>
      // @ts-expect-error no event has this name
      events.emit('alert.deleted', new AlertCreatedEvent({} as Alert, 0));

    class WrongListener {
      // @ts-expect-error a listener of device.offline must take a DeviceOfflineEvent
      @OnDomainEvent(DEVICE_OFFLINE)
      onOffline(event: AlertCreatedEvent): void {
        void event;
      }
    }
    expect([emitWrongPayload, emitUnknownName, WrongListener]).toHaveLength(3);
  });
});
