import { AppCore } from './app-core';
import { createEventBus } from './events';
import { openStore } from '../store';

export interface OpenAppCoreOptions {
  version: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** Packaged app: where electron-builder put migrations/ and schemas/. */
  resourcesDir?: string;
  log?: (line: string) => void;
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
  });
  let bus;
  try {
    bus = await createEventBus({ redisUrl: opts.env.REDIS_URL || undefined, store, log });
  } catch (e) {
    await store.close();
    throw e;
  }
  const core = new AppCore({
    version: opts.version,
    dataDir: opts.dataDir,
    store,
    events: bus,
    log,
    disposables: [store, bus],
  });
  await core.start();
  return core;
}
