import type { Store } from '../../store';
import type { PipelineRepo } from '../../store/repos/pipeline-repo';
import type { ControlChannel } from '../control';
import type { EventBus } from '../events';
import type { PrdService } from '../prd';
import type { OrchestratorOptions } from './orchestrator-api';
import type { EventSink } from './session-ui';
import type { SessionViewReader } from './session-views';

export interface ResolvedOrchestratorOptions {
  agentEnv: Record<string, string>;
  phaseTimeoutMs: number | null;
  graceMs: number;
  controlIntervalMs: number;
  heartbeatMs: number;
  leaseMs: number;
  storyChangeIntervalMs: number;
  metricsIntervalMs: number;
  priceFile: string | undefined;
  committer: { name: string; email: string };
}

/** The orchestrator's options with their defaults filled in. */
export function resolveOrchestratorOptions(opts: OrchestratorOptions = {}): ResolvedOrchestratorOptions {
  return {
    agentEnv: opts.agentEnv ?? {},
    phaseTimeoutMs: opts.phaseTimeoutMs ?? null,
    graceMs: opts.graceMs ?? 2_000,
    controlIntervalMs: opts.controlIntervalMs ?? 250,
    heartbeatMs: opts.heartbeatMs ?? 5_000,
    leaseMs: opts.leaseMs ?? 15_000,
    storyChangeIntervalMs: opts.storyChangeIntervalMs ?? 100,
    metricsIntervalMs: opts.metricsIntervalMs ?? 1_000,
    priceFile: opts.priceFile,
    committer: opts.committer ?? { name: 'WAVE Control Center', email: 'wave@localhost.invalid' },
  };
}

/** What every session run of one orchestrator shares. */
export interface OrchestratorEnv {
  store: Store;
  repo: PipelineRepo;
  bus: EventBus;
  hub: EventSink | null;
  /** Stop requests from other processes, and the session's UI events out to their windows. */
  control: ControlChannel | null;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  options: ResolvedOrchestratorOptions;
  prds: PrdService;
  views: SessionViewReader;
}
