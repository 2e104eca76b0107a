import path from 'node:path';
import type { ProjectSettings } from '../../shared/ipc';
import { fleetHandlers } from './api/fleet-handlers';
import { pushFleetChanges } from './fleet/fleet-feed';
import { backupHandlers } from './api/backup-handlers';
import { openStore, type Store } from '../store';
import { repositories, type StoreRepos } from '../store/repos';
import { importHandlers } from './api/import-handlers';
import { prdHandlers, toPrdSummary } from './api/prd-handlers';
import { createSessionServices } from './api/session-handlers';
import type { ServiceHandlers, SnapshotParts } from './api/types';
import { WaveConfigError, loadWaveConfig } from './config';
import { createControlChannel, type ControlChannel } from './control';
import { createEventBus, type EventBus } from './events';
import { describeGrant } from './executor';
import { Orchestrator, SessionViewReader, type EventSink, type OrchestratorOptions } from './orchestrator';
import { PrdService, StoryImporter } from './prd';
import type { EventHub } from './rpc';
import { SettingsStore, toProjectSettings } from './settings/settings-store';
import type { WaveSettings } from './settings/wave-settings';

export interface CoreServicesOptions {
  log?: (line: string) => void;
  /** Where the event bus logs (default: `log`). */
  busLog?: (line: string) => void;
  /** Orchestrator tuning (tests: agent environment, short timeouts). */
  orchestrator?: OrchestratorOptions;
  /** What this process is (session run, wave serve, the window), named to another process that finds the embedded store locked. */
  lockRole?: string;
  /** Progress of long first-start work (creating the embedded database), for a person waiting. */
  progress?: (line: string) => void;
}

/** The window's part: request handlers and snapshot over one orchestrator. */
export interface AppServices {
  handlers: ServiceHandlers;
  snapshotParts(): Promise<SnapshotParts>;
  /** The orchestrator behind the handlers. */
  orchestrator: Orchestrator;
}

/**
 * Everything the core is made of, built from one WaveSettings: the store, its repositories,
 * the domain services, the event bus and orchestrators. The window, `wave serve`, every CLI
 * command and the demo get theirs from createCoreServices; nothing else opens a store or a bus.
 */
export interface CoreServices {
  readonly settings: WaveSettings;
  readonly store: Store;
  readonly repos: StoreRepos;
  readonly prds: PrdService;
  readonly importer: StoryImporter;
  /** The lead's choices kept in the data dir (project, concurrency, budget, agent). */
  readonly projectSettings: SettingsStore;
  /** Sessions and their stories as the window and `wave status` show them. */
  readonly views: SessionViewReader;
  /** The event bus (Redis Streams or in-process), opened on first use: commands that only read never connect to Redis. */
  bus(): Promise<EventBus>;
  /**
   * The control channel between the processes of this store (local socket, Redis pub/sub,
   * Postgres NOTIFY as configured), made on first use; it listens only once something subscribes.
   */
  control(): ControlChannel;
  /** An orchestrator over the store and bus pushing to `hub`; disposed with the services. */
  orchestrator(
    hub: EventSink | null,
    opts?: { log?: (line: string) => void; env?: NodeJS.ProcessEnv },
  ): Promise<Orchestrator>;
  /** The request handlers and snapshot of the window (the app and `wave serve`); built once. */
  app(hub: EventHub): Promise<AppServices>;
  /** Releases orchestrators, then the bus, then the store. Safe to call twice. */
  close(): Promise<void>;
}

/** Opens the store named by the settings and builds the services over it. */
export async function createCoreServices(
  settings: WaveSettings,
  opts: CoreServicesOptions = {},
): Promise<CoreServices> {
  const log = opts.log ?? (() => {});
  const store = await openStore({
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    migrationsDir: settings.migrationsDir,
    clusterCacheDir: settings.cacheDir,
    env: settings.env,
    log,
    role: opts.lockRole,
    progress: opts.progress,
  });
  const projectSettings = new SettingsStore(settings.dataDir, settings.project);
  const prds = new PrdService(store);
  let bus: Promise<EventBus> | null = null;
  let control: ControlChannel | null = null;
  const getControl = () => (control ??= createControlChannel(settings, opts.busLog ?? log));
  const orchestratorOptions: OrchestratorOptions | undefined =
    settings.stopGraceMs === undefined ? opts.orchestrator : { graceMs: settings.stopGraceMs, ...opts.orchestrator };
  let app: Promise<AppServices & { close(): Promise<void> }> | null = null;
  const orchestrators: Orchestrator[] = [];
  let closing: Promise<void> | null = null;

  const getBus = () => {
    bus ??= createEventBus({
      redisUrl: settings.redisUrl,
      keyPrefix: settings.redisPrefix,
      store,
      log: opts.busLog ?? log,
    }).catch((e: unknown) => {
      bus = null;
      throw e;
    });
    return bus;
  };

  const services: CoreServices = {
    settings,
    store,
    repos: repositories(store),
    prds,
    importer: new StoryImporter(store),
    projectSettings,
    views: new SessionViewReader(repositories(store)),
    bus: getBus,
    control: getControl,
    async orchestrator(hub, o = {}) {
      const orchestrator = new Orchestrator({
        store,
        bus: await getBus(),
        hub,
        control: getControl(),
        dataDir: settings.dataDir,
        env: o.env ?? settings.env,
        log: o.log ?? log,
        options: orchestratorOptions,
      });
      orchestrators.push(orchestrator);
      return orchestrator;
    },
    app(hub) {
      app ??= buildAppServices({
        settings,
        store,
        bus: getBus,
        control: getControl(),
        hub,
        projectSettings,
        prds,
        log,
        orchestrator: orchestratorOptions,
      });
      return app;
    },
    close() {
      closing ??= (async () => {
        const built = app ? await app.catch(() => null) : null;
        await built?.close().catch((e: unknown) => log(`closing the session services failed: ${(e as Error).message}`));
        for (const o of orchestrators.reverse()) await o.dispose().catch(() => undefined);
        await control?.close().catch(() => undefined);
        const opened = bus ? await bus.catch(() => null) : null;
        await opened?.close().catch(() => undefined);
        await store.close();
      })();
      return closing;
    },
  };
  return services;
}

async function buildAppServices(deps: {
  settings: WaveSettings;
  store: Store;
  bus: () => Promise<EventBus>;
  control: ControlChannel;
  hub: EventHub;
  projectSettings: SettingsStore;
  prds: PrdService;
  log: (line: string) => void;
  orchestrator?: OrchestratorOptions;
}): Promise<AppServices & { close(): Promise<void> }> {
  const { projectSettings: settings, prds } = deps;

  const projectSettings = async (): Promise<ProjectSettings> => {
    const s = await settings.read();
    if (!s.projectPath) return toProjectSettings(s, { projectName: null, targetBranch: null, configProblems: [] });
    try {
      const loaded = await loadWaveConfig(s.projectPath);
      const problems = loaded.found
        ? []
        : [
            `${path.join(s.projectPath, 'wave.config.json')} does not exist: run "wave init ${s.projectPath}" to create one (defaults apply until then).`,
          ];
      return toProjectSettings(s, {
        projectName: path.basename(s.projectPath),
        targetBranch: loaded.config.targetBranch,
        configProblems: problems,
        agentEnv: describeGrant(s.agentPreset ?? loaded.config.agent.preset, loaded.config.agent.env),
        configAgentPreset: loaded.config.agent.preset,
      });
    } catch (e) {
      const message =
        e instanceof WaveConfigError ? e.message : `Could not read the project config: ${(e as Error).message}`;
      return toProjectSettings(s, {
        projectName: path.basename(s.projectPath),
        targetBranch: null,
        configProblems: [message],
      });
    }
  };

  const sessions = await createSessionServices({
    store: deps.store,
    bus: await deps.bus(),
    control: deps.control,
    hub: deps.hub,
    settings,
    wave: deps.settings,
    log: deps.log,
    orchestrator: deps.orchestrator,
  });

  // The fleet view of the windows: workers re-read and pushed when they say something.
  const fleetFeed = await pushFleetChanges({
    store: deps.store,
    channel: deps.control,
    publish: (view) => deps.hub.publish('fleet.changed', view),
    log: deps.log,
  }).catch((e: unknown) => {
    deps.log(`the fleet view will not update by itself: ${(e as Error).message}`);
    return null;
  });

  const handlers: ServiceHandlers = {
    'settings.get': () => projectSettings(),
    'settings.update': async (req) => {
      await settings.update(req);
      const next = await projectSettings();
      deps.hub.publish('settings.changed', next);
      return next;
    },
    ...prdHandlers({
      store: deps.store,
      hub: deps.hub,
      concurrency: async () => (await settings.read()).concurrency,
      agentPreset: async () => (await settings.read()).agentPreset ?? undefined,
      actor: () => deps.settings.actor,
    }),
    ...importHandlers({
      store: deps.store,
      hub: deps.hub,
      projectPath: async () => (await settings.read()).projectPath,
      actor: deps.settings.actor,
    }),
    ...sessions.handlers,
    ...backupHandlers({ store: deps.store, settings, actor: deps.settings.actor }),
    ...fleetHandlers({ store: deps.store, control: deps.control }),
  };

  return {
    handlers,
    orchestrator: sessions.orchestrator,
    async snapshotParts() {
      const [s, prdList, sessionParts] = await Promise.all([projectSettings(), prds.list(), sessions.snapshot()]);
      return { settings: s, prds: prdList.map(toPrdSummary), ...sessionParts };
    },
    close: () => {
      fleetFeed?.dispose();
      return sessions.close();
    },
  };
}
