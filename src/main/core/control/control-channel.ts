import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { toDisposable, type Disposable } from '../../../shared/lifecycle';
import { parseEnvelope, type ControlEnvelope, type ControlMessage } from './messages';

/**
 * One way of carrying control lines between the processes of a store: the local socket, Redis
 * pub/sub or Postgres LISTEN/NOTIFY. A transport delivers the lines of one sender in order; it
 * may miss some (a peer that is not listening yet, an oversized NOTIFY), never invent any.
 */
export interface ControlTransport {
  readonly name: string;
  /** Sends one line to every listening process (this one included or not: the channel filters). */
  send(line: string, message: ControlMessage): Promise<void>;
  /** Starts receiving; `onReconnect` is called after the transport lost and regained its connection (lines may have been missed). */
  listen(onLine: (line: string) => void, onReconnect: () => void): Promise<void>;
  close(): Promise<void>;
}

export type ControlHandler = (envelope: ControlEnvelope, transport: string) => void;

/** How long a missing sequence number may still arrive through another transport before it counts as missed. */
const GAP_WAIT_MS = 300;
const SEEN_PER_ORIGIN = 512;

interface OriginState {
  highest: number;
  seen: Set<number>;
  missing: Set<number>;
}

/**
 * The control channel of a process: publishes messages through every transport chosen from
 * the settings (createControlChannel), and hands each received message to the subscribers once,
 * whichever transport brought it first. Messages of this process itself are not delivered back.
 * A sequence gap that no transport fills within GAP_WAIT_MS, or a transport's reconnect, calls
 * the `onMissed` listeners: what they show must be re-read from the store, which stays the truth.
 */
export class ControlChannel {
  readonly origin = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private seq = 0;
  private readonly handlers = new Set<ControlHandler>();
  private readonly missedListeners = new Set<() => void>();
  private readonly origins = new Map<string, OriginState>();
  private listening: Promise<void> | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly transports: readonly ControlTransport[],
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Which transports carry the channel (for logs and the README's "what a lead sees"). */
  describe(): string {
    return this.transports.map((t) => t.name).join(' + ');
  }

  /** Sends a message through every transport; resolves when each has tried, rejects only if none could send. */
  async publish(message: ControlMessage): Promise<void> {
    if (this.closed) return;
    const envelope: ControlEnvelope = { origin: this.origin, seq: ++this.seq, message };
    const line = JSON.stringify(envelope);
    const results = await Promise.allSettled(this.transports.map((t) => t.send(line, message)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${this.transports[i]!.name}: ${(r.reason as Error).message}`] : [],
    );
    if (failed.length === this.transports.length && failed.length > 0)
      throw new Error(`the control channel could not send (${failed.join('; ')})`);
    if (failed.length) this.log(`control channel: ${failed.join('; ')}`);
  }

  /** Receives every message of other processes from now on (starts listening on first use). */
  async subscribe(handler: ControlHandler): Promise<Disposable> {
    this.handlers.add(handler);
    await this.startListening();
    return toDisposable(() => this.handlers.delete(handler));
  }

  /** Called when messages may have been missed (a sequence gap, a transport's reconnect). */
  onMissed(listener: () => void): Disposable {
    this.missedListeners.add(listener);
    return toDisposable(() => this.missedListeners.delete(listener));
  }

  private startListening(): Promise<void> {
    this.listening ??= (async () => {
      const results = await Promise.allSettled(
        this.transports.map((t) =>
          t.listen(
            (line) => this.receive(line, t.name),
            () => this.missed(`${t.name} reconnected`),
          ),
        ),
      );
      results.forEach((r, i) => {
        if (r.status === 'rejected')
          this.log(`control channel: cannot listen on ${this.transports[i]!.name}: ${(r.reason as Error).message}`);
      });
      if (results.length > 0 && results.every((r) => r.status === 'rejected'))
        throw new Error('the control channel cannot listen on any transport');
    })();
    return this.listening;
  }

  private receive(line: string, transport: string): void {
    const env = parseEnvelope(line);
    if (!env || env.origin === this.origin) return;
    let o = this.origins.get(env.origin);
    if (!o) {
      // The first message heard from a process: nothing before it was ours to see.
      o = { highest: env.seq - 1, seen: new Set(), missing: new Set() };
      this.origins.set(env.origin, o);
    }
    if (o.seen.has(env.seq)) return;
    o.seen.add(env.seq);
    if (o.seen.size > SEEN_PER_ORIGIN) o.seen.delete(o.seen.values().next().value!);
    if (env.seq > o.highest) {
      for (let s = o.highest + 1; s < env.seq && o.missing.size < SEEN_PER_ORIGIN; s++) o.missing.add(s);
      o.highest = env.seq;
      if (o.missing.size) this.armGapTimer();
    } else if (!o.missing.delete(env.seq)) {
      return; // Older than what we track and not awaited: already delivered once.
    }
    for (const h of this.handlers) {
      try {
        h(env, transport);
      } catch (e) {
        this.log(`control channel: a handler failed: ${(e as Error).message}`);
      }
    }
  }

  private armGapTimer(): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      let lost = 0;
      for (const o of this.origins.values()) {
        lost += o.missing.size;
        o.missing.clear();
      }
      if (lost) this.missed(`${lost} message(s) missed`);
    }, GAP_WAIT_MS);
    this.gapTimer.unref();
  }

  private missed(why: string): void {
    if (this.closed) return;
    this.log(`control channel: ${why}; re-reading from the store`);
    for (const l of this.missedListeners) {
      try {
        l();
      } catch (e) {
        this.log(`control channel: a resync failed: ${(e as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.handlers.clear();
    this.missedListeners.clear();
    await Promise.allSettled(this.transports.map((t) => t.close()));
  }
}
