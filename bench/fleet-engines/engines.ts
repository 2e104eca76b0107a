import { bullmqEngine } from './bullmq';
import { graphileEngine } from './graphile';
import { pgbossEngine } from './pgboss';
import type { Engine } from './types';

export const ENGINES = { bullmq: bullmqEngine, pgboss: pgbossEngine, graphile: graphileEngine } satisfies Record<
  string,
  Engine
>;
export type EngineName = keyof typeof ENGINES;
