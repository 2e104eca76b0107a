import type { SessionSummary } from '../../../shared/ipc';
import type { EventBus } from '../events';
import type { EventHub } from '../rpc';
import { AppError } from '../rpc';
import type { SettingsStore } from '../settings/settings-store';
import type { Store } from '../../store';
import type { DomainHandlers, SnapshotParts } from './types';

export interface SessionServiceDeps {
  store: Store;
  bus: EventBus;
  hub: EventHub;
  settings: SettingsStore;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export type SessionDomainHandlers = DomainHandlers<'session'> & DomainHandlers<'recovery'> & DomainHandlers<'events'> & DomainHandlers<'metrics'> & DomainHandlers<'gate'>;

export interface SessionServices {
  handlers: SessionDomainHandlers;
  snapshot(): Promise<Pick<SnapshotParts, 'session' | 'sessions' | 'interrupted'>>;
  close(): Promise<void>;
}

const notYet = (what: string) => () => {
  throw new AppError('unavailable', `${what} is not wired to the orchestrator yet.`);
};

/** Placeholder until the orchestrator lands: read requests answer empty, commands refuse clearly. */
export async function createSessionServices(_deps: SessionServiceDeps): Promise<SessionServices> {
  return {
    handlers: {
      'session.list': async (): Promise<SessionSummary[]> => [],
      'session.get': notYet('Session detail'),
      'session.start': notYet('Starting a session'),
      'session.stop': notYet('Emergency stop'),
      'session.resume': notYet('Resuming a session'),
      'recovery.list': async () => [],
      'events.deadLetters': async () => [],
      'metrics.get': notYet('Metrics'),
      'gate.log': notYet('Gate logs'),
      'gate.follow': notYet('Following a gate log'),
    },
    snapshot: async () => ({ session: null, sessions: [], interrupted: [] }),
    close: async () => {},
  };
}
