import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap, DomainEventName } from '@app/contracts';

/**
 * The application's event bus, typed by `DomainEventMap`: `emit` takes the payload of the
 * name it is given, and nothing else. Nest's emitter underneath still delivers to listeners.
 */
@Injectable()
export class DomainEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<Name extends DomainEventName>(name: Name, payload: DomainEventMap[Name]): void {
    this.emitter.emit(name, payload);
  }
}

/** A listener's handler: called with the payload of its event. */
type Handler<Name extends DomainEventName> = (payload: DomainEventMap[Name]) => void | Promise<void>;

/**
 * Marks a method as a listener of `name`, run after the emitter's caller has moved on (async),
 * so a listener is never in the path that accepts an alert. The method must take that event's
 * payload: a listener of another shape does not compile.
 */
export function OnDomainEvent<Name extends DomainEventName>(name: Name) {
  const listen = OnEvent(name, { async: true });
  return (target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<Handler<Name>>): void => {
    listen(target, key, descriptor);
  };
}
