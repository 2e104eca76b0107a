export * from './schema';
export {
  openStore,
  type OpenStoreOptions,
  type Store,
  type StoreHealth,
  type StoreKind,
  type TransactionOptions,
  type WaveDb,
  type WaveQueryable,
  type WaveSchema,
  type WaveTx,
} from './store';
export { resolveDataDir, resolveMigrationsDir } from './paths';
export { StoreLockedError, StoreUnavailableError, CommitOutcomeUnknownError, type LockHolder } from './errors';
export { describeDbError, isConnectionError } from './db-errors';
export { DirLock, pidAlive } from './dir-lock';
export { PgNotifyTransport, NOTIFY_MAX_BYTES } from './pg-notify';
