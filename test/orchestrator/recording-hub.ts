import type { EventName, EventOf } from '../../src/shared/ipc';
import { events as contractEvents } from '../../src/shared/ipc';

/** Records every pushed UI event, validated against the contract like the app's hub does. */
export class RecordingHub {
  readonly seen: Array<{ name: EventName; payload: unknown }> = [];
  publish<E extends EventName>(name: E, payload: EventOf<E>): void {
    this.seen.push({ name, payload: contractEvents[name].parse(payload) });
  }
  of<E extends EventName>(name: E): Array<EventOf<E>> {
    return this.seen.filter((e) => e.name === name).map((e) => e.payload as EventOf<E>);
  }
}
