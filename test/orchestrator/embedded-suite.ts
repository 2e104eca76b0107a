import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createEventBus, type EventBus } from '../../src/main/core/events';
import { Orchestrator } from '../../src/main/core/orchestrator';
import type { Store } from '../../src/main/store';
import { killTagged } from '../fixtures/repos/leftovers';
import { openPgliteTestStore, type TestStore } from '../helpers/pglite';
import type { RecordingHub } from './recording-hub';
import { createScenario, type Scenario, type StorySpec } from './scenario';

export interface EmbeddedSuite {
  readonly store: Store;
  readonly bus: EventBus;
  readonly dataDir: string;
  /** WAVE_TEST_TAG given to every agent, so afterAll can find and kill leftovers. */
  readonly tag: string;
  orchestrator(hub: RecordingHub): Orchestrator;
  /** A sample repository with stories, removed in afterAll. */
  scenario(stories?: StorySpec[]): Scenario;
}

/**
 * One PGlite store and in-process bus shared by a test file on the embedded defaults,
 * opened in beforeAll and released in afterAll with every agent and scenario it made.
 */
export function embeddedOrchestratorSuite(): EmbeddedSuite {
  let ts: TestStore | undefined;
  let bus: EventBus | undefined;
  const tag = randomUUID();
  const scenarios: Scenario[] = [];

  beforeAll(async () => {
    ts = await openPgliteTestStore();
    bus = await createEventBus({ store: ts.store });
  });

  afterAll(async () => {
    await bus?.close();
    await ts?.close();
    killTagged(tag);
    for (const s of scenarios) s.cleanup();
  });

  const opened = (): TestStore => {
    if (!ts) throw new Error('The embedded store is used before beforeAll opened it.');
    return ts;
  };
  const suite: EmbeddedSuite = {
    get store() {
      return opened().store;
    },
    get bus() {
      if (!bus) throw new Error('The event bus is used before beforeAll opened it.');
      return bus;
    },
    get dataDir() {
      return opened().dataDir;
    },
    tag,
    orchestrator: (hub) =>
      new Orchestrator({
        store: suite.store,
        bus: suite.bus,
        hub,
        dataDir: suite.dataDir,
        options: { agentEnv: { WAVE_TEST_TAG: tag }, graceMs: 300, controlIntervalMs: 100 },
      }),
    scenario(stories) {
      const s = createScenario({ stories });
      scenarios.push(s);
      return s;
    },
  };
  return suite;
}
