import { createSessionServices, type SessionServices } from '../../src/main/core/api/session-handlers';
import type { EventBus } from '../../src/main/core/events';
import type { EventHub } from '../../src/main/core/rpc';
import { SettingsStore } from '../../src/main/core/settings/settings-store';
import { resolveSettings } from '../../src/main/core/settings/wave-settings';
import { killTagged } from '../fixtures/repos/leftovers';
import type { TestStore } from '../helpers/pglite';

/** The session requests of the window over a test store and bus, acting as `user`; agents are tagged with `tag`. */
export async function openSessionServices(
  ts: TestStore,
  bus: EventBus,
  hub: EventHub,
  opts: { user: string; tag: string; settings?: SettingsStore },
): Promise<SessionServices> {
  return createSessionServices({
    store: ts.store,
    bus,
    hub,
    settings: opts.settings ?? new SettingsStore(ts.dataDir),
    wave: { ...resolveSettings({ ...process.env, WAVE_USER: opts.user }), dataDir: ts.dataDir },
    log: () => undefined,
    orchestrator: { agentEnv: { WAVE_TEST_TAG: opts.tag }, graceMs: 300 },
  });
}

/** Releases what a test opened around the services, newest first, and kills every agent tagged `tag`. */
export async function closeSessionServices(p: {
  services?: SessionServices;
  hub?: EventHub;
  bus?: EventBus;
  ts?: TestStore;
  tag: string;
}): Promise<void> {
  await p.services?.close();
  p.hub?.dispose();
  await p.bus?.close();
  await p.ts?.close();
  killTagged(p.tag);
}
