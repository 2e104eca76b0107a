import { z } from 'zod';

/*
 * What travels on the control channel between WAVE processes of one store: a stop request to
 * the process that owns a session (and to every fleet worker holding story runs of it), the
 * owner's answer once the session is stopped, each worker's answer with its counts, and the
 * session's UI events (session.changed, story.changed, …) for windows of other processes.
 * Every message a process receives is parsed with these schemas; an event's payload is parsed
 * again against the contract when it reaches a window's EventHub.
 */

const id = z.string().min(1).max(200);

export const ControlMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stop'), sessionId: id, reason: z.string().max(2000), by: z.string().max(200) }),
  z.object({
    kind: z.literal('stopped'),
    sessionId: id,
    stoppedAgents: z.number().int().nonnegative(),
    aliveAfter: z.number().int().nonnegative(),
    storiesCheckpointed: z.number().int().nonnegative(),
  }),
  z.object({
    kind: z.literal('fleet-stopped'),
    sessionId: id,
    workerId: id,
    name: id,
    host: id,
    pid: z.number().int().nonnegative(),
    stoppedAgents: z.number().int().nonnegative(),
    aliveAfter: z.number().int().nonnegative(),
  }),
  /** Asks a fleet worker (by id or name) to drain, or to take story runs again; its row already says so. */
  z.object({ kind: z.literal('fleet-drain'), worker: id, draining: z.boolean() }),
  /** A fleet worker wrote its heartbeat (its row changed): windows re-read the fleet; a drain waits for it. */
  z.object({ kind: z.literal('fleet-worker'), workerId: id, name: id, draining: z.boolean() }),
  z.object({
    kind: z.literal('event'),
    sessionId: id.nullable(),
    name: z.string().min(1).max(100),
    payload: z.unknown(),
  }),
]);
export type ControlMessage = z.infer<typeof ControlMessage>;

/**
 * One message as sent: `origin` names the sending process (host, pid and a random part) and
 * `seq` numbers its messages 1, 2, 3…, so a receiver drops a message it got twice (through two
 * transports) and notices one it missed.
 */
export const ControlEnvelope = z.object({
  origin: z.string().min(1).max(200),
  seq: z.number().int().positive(),
  message: ControlMessage,
});
export type ControlEnvelope = z.infer<typeof ControlEnvelope>;

/** Parses one received line; null for anything that is not a valid envelope. */
export function parseEnvelope(line: string): ControlEnvelope | null {
  try {
    const r = ControlEnvelope.safeParse(JSON.parse(line));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
