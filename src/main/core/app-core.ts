import os from 'node:os';
import type { AppHealth, AppInfo, ComponentHealth } from '../../shared/ipc';
import type { ServiceHandlers, SnapshotParts } from './api/types';
import { EventHub, RequestRouter, type RequestHandlers } from './rpc';

/** What the core needs from the store to report on it. */
export interface StoreHealthSource {
  readonly kind: 'pglite' | 'postgres';
  health(): Promise<ComponentHealth>;
}

/** What the core needs from the event bus to report on it. */
export interface BusHealthSource {
  readonly kind: 'redis' | 'in-process';
  /** Why this bus is the active one, in words a lead understands. */
  readonly reason: string;
  health(): Promise<ComponentHealth>;
  /** p99 producer→handler latency over the recent window, ms; null before any event. */
  p99Ms(): number | null;
}

export interface AppCoreDeps {
  version: string;
  /** The hub services publish to; AppCore creates one when absent. */
  hub?: EventHub;
  /** Every request outside app.*, answered by the domain services. */
  handlers: ServiceHandlers;
  /** The services' part of app.snapshot. */
  snapshotParts: () => Promise<SnapshotParts>;
  dataDir: string;
  store: StoreHealthSource;
  events: BusHealthSource;
  log?: (line: string) => void;
  /** How often the core re-checks its components and pushes `app.health` on change. */
  healthIntervalMs?: number;
  /** Per-client request rate (default RATE_LIMIT); the fuzz suite raises it to reach the handlers. */
  rate?: { ratePerSecond: number; burst: number };
  /** Resources to release on dispose, in reverse order of acquisition. */
  disposables?: Array<{ close(): Promise<void> | void }>;
}

/**
 * The headless heart of the app: one instance per process, shared by the Electron shell,
 * the WebSocket bridge and the CLI. Owns the request router and the pushed-event hub.
 */
export class AppCore {
  readonly hub: EventHub;
  readonly router: RequestRouter;
  readonly startedAt = new Date().toISOString();
  private lastHealth: AppHealth | null = null;
  private lastHealthKey = '';
  private healthTimer: NodeJS.Timeout | null = null;
  private disposed: Promise<void> | null = null;

  constructor(private readonly deps: AppCoreDeps) {
    this.hub = deps.hub ?? new EventHub();
    this.router = new RequestRouter(this.handlers(), { validateResponses: true, log: deps.log, rate: deps.rate });
  }

  /** Starts the health monitor; the first report is pushed before this resolves. */
  async start(): Promise<void> {
    await this.refreshHealth();
    const every = this.deps.healthIntervalMs ?? 5000;
    this.healthTimer = setInterval(() => void this.refreshHealth(), every);
    this.healthTimer.unref();
  }

  async health(): Promise<AppHealth> {
    const [store, events] = await Promise.all([
      safeHealth(() => this.deps.store.health(), 'store'),
      safeHealth(() => this.deps.events.health(), 'event bus'),
    ]);
    return {
      store: { ...store, kind: this.deps.store.kind },
      events: {
        ...events,
        kind: this.deps.events.kind,
        reason: this.deps.events.reason,
        p99Ms: this.deps.events.p99Ms(),
      },
    };
  }

  /** Re-checks health and pushes `app.health` when anything a lead would notice changed. */
  async refreshHealth(): Promise<AppHealth> {
    const h = await this.health();
    this.lastHealth = h;
    const key = JSON.stringify([
      h.store.status,
      h.store.detail,
      h.events.status,
      h.events.detail,
      h.events.kind,
      h.events.reason,
      roundP99(h.events.p99Ms),
    ]);
    if (key !== this.lastHealthKey) {
      this.lastHealthKey = key;
      this.hub.publish('app.health', h);
    }
    return h;
  }

  async info(transport: 'electron' | 'websocket'): Promise<AppInfo> {
    return {
      name: 'WAVE Control Center',
      version: this.deps.version,
      dataDir: this.deps.dataDir,
      transport,
      pid: process.pid,
      platform: `${os.platform()} ${os.arch()}`,
      startedAt: this.startedAt,
      health: this.lastHealth ?? (await this.refreshHealth()),
    };
  }

  private handlers(): RequestHandlers {
    return {
      'app.info': (_req, ctx) => this.info(ctx.transport),
      'app.snapshot': async (_req, ctx) => {
        // Read seq before building the info: any event published meanwhile has a higher
        // seq and will be applied on top by the client.
        const seq = this.hub.seq;
        const [info, parts] = await Promise.all([this.info(ctx.transport), this.deps.snapshotParts()]);
        return { seq, info, ...parts };
      },
      'app.echo': (req) => ({ text: req.text, receivedAt: new Date().toISOString() }),
      ...this.deps.handlers,
    };
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      if (this.healthTimer) clearInterval(this.healthTimer);
      this.hub.dispose();
      for (const d of [...(this.deps.disposables ?? [])].reverse()) {
        try {
          await d.close();
        } catch (e) {
          this.deps.log?.(`closing a core resource failed: ${(e as Error).message}`);
        }
      }
    })();
    return this.disposed;
  }
}

function roundP99(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10) / 10;
}

async function safeHealth(check: () => Promise<ComponentHealth>, what: string): Promise<ComponentHealth> {
  const started = performance.now();
  try {
    return await check();
  } catch (e) {
    return {
      status: 'down',
      detail: `${what} health check failed: ${(e as Error).message}`,
      latencyMs: performance.now() - started,
      checkedAt: new Date().toISOString(),
    };
  }
}
