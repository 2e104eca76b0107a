import { z } from 'zod';
import { InterruptedSession, PrdSummary, ProjectSettings, SessionSummary, SessionView } from './views';

export const HealthStatus = z.enum(['ok', 'degraded', 'down']);
export type HealthStatus = z.infer<typeof HealthStatus>;

export const ComponentHealth = z.object({
  status: HealthStatus,
  /** One line a lead can read: what is happening and, when not ok, what to do. */
  detail: z.string(),
  latencyMs: z.number().nonnegative().nullable(),
  checkedAt: z.string(),
});
export type ComponentHealth = z.infer<typeof ComponentHealth>;

export const StoreKind = z.enum(['pglite', 'postgres']);
export const EventBusKind = z.enum(['redis', 'in-process']);

export const AppHealth = z.object({
  store: ComponentHealth.extend({ kind: StoreKind }),
  events: ComponentHealth.extend({
    kind: EventBusKind,
    /** Why this bus is the active one (e.g. "REDIS_URL not set", "Redis down: circuit open"). */
    reason: z.string(),
    p99Ms: z.number().nonnegative().nullable(),
  }),
});
export type AppHealth = z.infer<typeof AppHealth>;

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  dataDir: z.string(),
  transport: z.enum(['electron', 'websocket']),
  pid: z.number().int(),
  platform: z.string(),
  startedAt: z.string(),
  health: AppHealth,
});
export type AppInfo = z.infer<typeof AppInfo>;

export const AppSnapshot = z.object({
  /** Sequence number of the last event folded into this snapshot. */
  seq: z.number().int().nonnegative(),
  info: AppInfo,
  settings: ProjectSettings,
  /** The running session, else the most recent one; null before the first. */
  session: SessionView.nullable(),
  sessions: z.array(SessionSummary),
  prds: z.array(PrdSummary),
  interrupted: z.array(InterruptedSession),
});
export type AppSnapshot = z.infer<typeof AppSnapshot>;

export const Empty = z.object({}).strict();
