import { EVENT_NAMES, type EventName, type EventOf } from '../../../shared/ipc';
import { toDisposable, type Disposable } from '../../../shared/lifecycle';
import type { ControlChannel } from './control-channel';

/** Where UI events go (the EventHub of a window, a CLI's renderer): the orchestrator's EventSink. */
export interface UiSink {
  publish<E extends EventName>(name: E, payload: EventOf<E>): unknown;
}

/**
 * The events that are not a running session's, so windows of other processes do not get them
 * from here: each process pushes its own, or its windows re-read them from the store.
 */
const NOT_RELAYED: ReadonlySet<EventName> = new Set<EventName>([
  'app.health', // this process's own components
  'settings.changed', // published by the process whose settings changed
  'gate.logAppended', // a window follows a gate log through its own process (gate.follow)
  'prd.changed', // published where the PRD was decided or imported
  'recovery.changed', // each process lists what can be recovered from the store itself
]);

/** The events of a running session that windows of other processes show: every event but those above. */
const RELAYED: ReadonlySet<EventName> = new Set(EVENT_NAMES.filter((name) => !NOT_RELAYED.has(name)));

function sessionOf(name: EventName, payload: unknown): string | null {
  const p = payload as { id?: string; sessionId?: string | null };
  return (name === 'session.changed' ? p.id : p.sessionId) ?? null;
}

/**
 * The owner's side of one live picture: what the orchestrator pushes to its own sink also goes
 * out on the control channel, so a window of another process (desktop or `wave serve` on the
 * same store) shows the session live. Sending never blocks or fails the session.
 */
export function teeToChannel(sink: UiSink | null, channel: ControlChannel | null): UiSink | null {
  if (!channel) return sink;
  return {
    publish(name, payload) {
      const result = sink?.publish(name, payload);
      if (RELAYED.has(name))
        channel.publish({ kind: 'event', sessionId: sessionOf(name, payload), name, payload }).catch(() => undefined);
      return result;
    },
  };
}

export interface RelayDeps {
  channel: ControlChannel;
  /** The window's sink (its EventHub, which validates every payload against the contract and numbers it). */
  sink: UiSink;
  /** True for sessions this process drives: their events are already on the hub. */
  isLocal: (sessionId: string) => boolean;
  /** Re-reads what windows show of the sessions of other processes from the store and pushes it (after a missed message or a reconnect). */
  resync: () => Promise<void>;
  /** Pushes the stories of a session heard of for the first time (its earlier story events went out before this window knew it). */
  catchUp: (sessionId: string) => Promise<void>;
  log: (line: string) => void;
}

/**
 * The window's side: subscribes on open, pushes every session event of another process into
 * the hub (where it gets the hub's sequence number, so a window sees one ordered stream), and
 * re-reads from the store whenever the channel says something may have been missed (what was
 * there before it opened, the window's snapshot shows).
 */
export async function relaySessionEvents(d: RelayDeps): Promise<Disposable> {
  const resync = () => void d.resync().catch((e) => d.log(`could not re-read the sessions: ${(e as Error).message}`));
  const missed = d.channel.onMissed(resync);
  const known = new Set<string>();
  const sub = await d.channel.subscribe((env) => {
    const m = env.message;
    if (m.kind !== 'event' || !RELAYED.has(m.name as EventName)) return;
    if (m.sessionId && d.isLocal(m.sessionId)) return;
    try {
      d.sink.publish(m.name as EventName, m.payload as EventOf<EventName>);
    } catch (e) {
      d.log(`ignored a ${m.name} event from ${env.origin}: ${(e as Error).message}`);
      return;
    }
    if (m.name === 'session.changed' && m.sessionId && !known.has(m.sessionId)) {
      known.add(m.sessionId);
      void d.catchUp(m.sessionId).catch((e) => d.log(`could not read session ${m.sessionId}: ${(e as Error).message}`));
    }
  });
  return toDisposable(() => {
    sub.dispose();
    missed.dispose();
  });
}
