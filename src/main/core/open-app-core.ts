import { AppCore } from './app-core';
import { EventHub } from './rpc';
import { createCoreServices } from './services';
import type { WaveSettings } from './settings/wave-settings';

export interface OpenAppCoreOptions {
  version: string;
  /** Resolved once by the caller (resolveSettings): data dir, DATABASE_URL, REDIS_URL, … */
  settings: WaveSettings;
  log?: (line: string) => void;
}

/**
 * Opens the core services (store, event bus, domain services: createCoreServices, the one
 * composition root) and wires them into one AppCore. Used by Electron, `wave serve` and tests.
 */
export async function openAppCore(opts: OpenAppCoreOptions): Promise<AppCore> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const services = await createCoreServices(opts.settings, { log });
  const hub = new EventHub();
  let app;
  let bus;
  try {
    bus = await services.bus();
    app = await services.app(hub);
  } catch (e) {
    await services.close();
    throw e;
  }
  const core = new AppCore({
    version: opts.version,
    dataDir: opts.settings.dataDir,
    hub,
    handlers: app.handlers,
    snapshotParts: () => app.snapshotParts(),
    store: services.store,
    events: bus,
    log,
    // Releases the session services, then the bus, then the store.
    disposables: [services],
  });
  await core.start();
  return core;
}
