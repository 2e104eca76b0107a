import os from 'node:os';
import path from 'node:path';
import type { ProjectSettings } from '../../shared/ipc';
import { importHandlers } from './api/import-handlers';
import { prdHandlers, toPrdSummary } from './api/prd-handlers';
import { createSessionServices } from './api/session-handlers';
import type { ServiceHandlers, SnapshotParts } from './api/types';
import { WaveConfigError, loadWaveConfig } from './config';
import type { EventBus } from './events';
import { describeGrant } from './executor';
import { PrdService } from './prd';
import type { EventHub } from './rpc';
import { SettingsStore, toProjectSettings } from './settings/settings-store';
import type { Store } from '../store';

export interface CoreServicesDeps {
  store: Store;
  bus: EventBus;
  hub: EventHub;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface CoreServices {
  handlers: ServiceHandlers;
  snapshotParts(): Promise<SnapshotParts>;
  close(): Promise<void>;
}

/** Who is acting, for audit entries made from the UI. */
export function localActor(env: NodeJS.ProcessEnv): string {
  try {
    return env.WAVE_USER || env.USER || os.userInfo().username || 'lead';
  } catch {
    return 'lead';
  }
}

/** Builds every domain service over one store, bus and hub, and the request handlers for them. */
export async function createCoreServices(deps: CoreServicesDeps): Promise<CoreServices> {
  const settings = new SettingsStore(deps.dataDir, deps.env);
  const prds = new PrdService(deps.store);

  const projectSettings = async (): Promise<ProjectSettings> => {
    const s = await settings.read();
    if (!s.projectPath) return toProjectSettings(s, { projectName: null, targetBranch: null, configProblems: [] });
    try {
      const loaded = await loadWaveConfig(s.projectPath);
      const problems = loaded.found ? [] : [`${path.join(s.projectPath, 'wave.config.json')} does not exist: run "wave init ${s.projectPath}" to create one (defaults apply until then).`];
      return toProjectSettings(s, { projectName: path.basename(s.projectPath), targetBranch: loaded.config.targetBranch, configProblems: problems, agentEnv: describeGrant(s.agentPreset, loaded.config.agent.env) });
    } catch (e) {
      const message = e instanceof WaveConfigError ? e.message : `Could not read the project config: ${(e as Error).message}`;
      return toProjectSettings(s, { projectName: path.basename(s.projectPath), targetBranch: null, configProblems: [message] });
    }
  };

  const sessions = await createSessionServices({ store: deps.store, bus: deps.bus, hub: deps.hub, settings, dataDir: deps.dataDir, env: deps.env, log: deps.log });

  const handlers: ServiceHandlers = {
    'settings.get': () => projectSettings(),
    'settings.update': async (req) => {
      await settings.update(req);
      const next = await projectSettings();
      deps.hub.publish('settings.changed', next);
      return next;
    },
    ...prdHandlers({ store: deps.store, hub: deps.hub, concurrency: async () => (await settings.read()).concurrency, actor: () => localActor(deps.env) }),
    ...importHandlers({
      store: deps.store,
      hub: deps.hub,
      projectPath: async () => (await settings.read()).projectPath,
      actor: localActor(deps.env),
    }),
    ...sessions.handlers,
  };

  return {
    handlers,
    async snapshotParts() {
      const [s, prdList, sessionParts] = await Promise.all([projectSettings(), prds.list(), sessions.snapshot()]);
      return { settings: s, prds: prdList.map(toPrdSummary), ...sessionParts };
    },
    close: () => sessions.close(),
  };
}
