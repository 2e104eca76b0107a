import { events, type EventEnvelope, type EventName, type EventOf } from '../../../shared/ipc';

export type EnvelopeListener = (envelope: EventEnvelope) => void;

/**
 * Fans pushed events out to every connected renderer with one global sequence number,
 * so a client that sees a gap knows to re-fetch the snapshot.
 */
export class EventHub {
  private seqValue = 0;
  private readonly listeners = new Set<EnvelopeListener>();

  get seq(): number {
    return this.seqValue;
  }

  publish<E extends EventName>(name: E, payload: EventOf<E>): EventEnvelope<E> {
    // Validate on the way out: an event that breaks the contract is a core bug, and
    // sending it would make the screen lie.
    const parsed = events[name].parse(payload) as EventOf<E>;
    const envelope: EventEnvelope<E> = { name, seq: ++this.seqValue, payload: parsed };
    for (const l of this.listeners) {
      try {
        l(envelope as EventEnvelope);
      } catch {
        // One broken transport must not starve the others.
      }
    }
    return envelope;
  }

  subscribe(listener: EnvelopeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.listeners.clear();
  }
}
