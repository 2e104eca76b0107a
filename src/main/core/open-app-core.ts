import { AppCore } from './app-core';
import { EventHub } from './rpc';
import { createCoreServices } from './services';
import { createEventBus } from './events';
import { openStore } from '../store';

export interface OpenAppCoreOptions {
  version: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** Packaged app: where electron-builder put migrations/ and schemas/. */
  resourcesDir?: string;
  log?: (line: string) => void;
  /** What this process is, named to another process that finds the embedded store locked. */
  role?: string;
  /** Per-client request rate of the router (default RATE_LIMIT). */
  rate?: { ratePerSecond: number; burst: number };
}

/**
 * The composition root: opens the store (PGlite or Postgres), the event bus (Redis or
 * in-process) and wires them into one AppCore. Used by Electron, `wave serve` and tests.
 */
export async function openAppCore(opts: OpenAppCoreOptions): Promise<AppCore> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = await openStore({
    dataDir: opts.dataDir,
    databaseUrl: opts.env.DATABASE_URL || undefined,
    migrationsDir: opts.resourcesDir ? `${opts.resourcesDir}/migrations` : undefined,
    log,
    role: opts.role,
  });
  let bus;
  try {
    bus = await createEventBus({ redisUrl: opts.env.REDIS_URL || undefined, keyPrefix: opts.env.WAVE_REDIS_PREFIX || undefined, store, log });
  } catch (e) {
    await store.close();
    throw e;
  }
  const hub = new EventHub();
  let services;
  try {
    services = await createCoreServices({ store, bus, hub, dataDir: opts.dataDir, env: opts.env, log });
  } catch (e) {
    await bus.close();
    await store.close();
    throw e;
  }
  const core = new AppCore({
    version: opts.version,
    dataDir: opts.dataDir,
    hub,
    handlers: services.handlers,
    snapshotParts: () => services.snapshotParts(),
    store,
    events: bus,
    log,
    rate: opts.rate,
    // Released in reverse: services first, then the bus, then the store.
    disposables: [store, bus, services],
  });
  await core.start();
  return core;
}
