import { describe, expect, it } from 'vitest';
import type { EventName } from '../../../shared/ipc';
import type { SessionViewReader } from './session-views';
import { SessionProjection } from './session-ui';

describe('a story progress line on its way to the windows', () => {
  it('is pushed at once as story.progress, without reading the story view from the store or waiting for a throttle', () => {
    const pushed: Array<{ name: EventName; payload: unknown }> = [];
    let storeReads = 0;
    const views = {
      storyView: async () => {
        storeReads++;
        return null;
      },
    } as unknown as SessionViewReader;
    const ui = new SessionProjection('s1', {
      sink: { publish: (name, payload) => pushed.push({ name, payload }) },
      views,
      repo: {} as never,
      control: {} as never,
      storeKind: 'postgres',
      // A throttle window far longer than the test: a push that waited for it would not be seen.
      changeIntervalMs: 60_000,
      log: () => {},
    });
    ui.progressed('s1:S-1', 'S-1', { message: 'writing add.js', pct: 40 });
    ui.progressed('s1:S-1', 'S-1', { message: 'running the tests', pct: 60 });
    expect(pushed).toEqual([
      {
        name: 'story.progress',
        payload: { id: 's1:S-1', sessionId: 's1', storyId: 'S-1', progress: { message: 'writing add.js', pct: 40 } },
      },
      {
        name: 'story.progress',
        payload: { id: 's1:S-1', sessionId: 's1', storyId: 'S-1', progress: { message: 'running the tests', pct: 60 } },
      },
    ]);
    expect(storeReads).toBe(0);
    // A story.changed pushed later (a real change) carries the latest line.
    expect(ui.progressOf('s1:S-1')).toEqual({ message: 'running the tests', pct: 60 });
  });
});
