import type { AppSnapshot, RequestName } from '../../../shared/ipc';
import type { RequestHandlers } from '../rpc';

export type AppRequestName = Extract<RequestName, `app.${string}`>;

/** Handlers of one domain (`session`, `prd`, …) of the contract. */
export type DomainHandlers<D extends string> = Pick<RequestHandlers, Extract<RequestName, `${D}.${string}`>>;

/** Every request except app.*, which AppCore answers itself. */
export type ServiceHandlers = Omit<RequestHandlers, AppRequestName>;

/** The parts of the snapshot that come from the services (AppCore adds seq and info). */
export type SnapshotParts = Omit<AppSnapshot, 'seq' | 'info'>;
