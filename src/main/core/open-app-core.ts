import { AppCore } from './app-core';
import { EventHub } from './rpc';
import { createCoreServices } from './services';
import type { WaveSettings } from './settings/wave-settings';
import { inertText } from '../../shared/text';

export interface OpenAppCoreOptions {
  version: string;
  /** Resolved once by the caller (resolveSettings): data dir, DATABASE_URL, REDIS_URL, … */
  settings: WaveSettings;
  log?: (line: string) => void;
  /** What this process is, named to another process that finds the embedded store locked. */
  role?: string;
  /** Per-client request rate of the router (default RATE_LIMIT). */
  rate?: { ratePerSecond: number; burst: number };
}

/**
 * Opens the core services (store, event bus, domain services: createCoreServices, the one
 * composition root) and wires them into one AppCore. Used by Electron, `wave serve` and tests.
 */
export async function openAppCore(opts: OpenAppCoreOptions): Promise<AppCore> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${inertText(line)}\n`));
  const services = await createCoreServices(opts.settings, { log, lockRole: opts.role });
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
    rate: opts.rate,
    // Releases the session services, then the bus, then the store.
    disposables: [services],
  });
  await core.start();
  return core;
}
