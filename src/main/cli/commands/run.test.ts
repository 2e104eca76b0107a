import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StoryRunView } from '../../../shared/ipc';
import { ProgressRenderer } from './run';

function story(over: Partial<StoryRunView>): StoryRunView {
  return {
    id: 's:A-1',
    sessionId: 's',
    storyId: 'A-1',
    title: 'A',
    waveNumber: 1,
    domain: 'app',
    agent: 'scripted',
    status: 'running',
    currentGate: 'gate-2',
    attempts: 1,
    costUsd: 0.0081,
    startedAt: new Date(Date.now() - 3000).toISOString(),
    endedAt: null,
    reason: null,
    mergeSha: null,
    progress: { message: 'writing files', pct: 40 },
    gates: [],
    ...over,
  };
}

const gate = (g: string, status: 'passed' | 'failed' | 'running', id: number) => ({
  gateRunId: id,
  gate: g as StoryRunView['gates'][number]['gate'],
  attempt: 1,
  status,
  startedAt: new Date().toISOString(),
  endedAt: null,
  durationMs: 1200,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  reason: status === 'failed' ? 'QA command "check" exited with code 1' : null,
});

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += String(d)));
  return { out, text: () => text };
}

describe('ProgressRenderer', () => {
  it('prints one plain line per gate result and per finished story when not on a terminal', () => {
    const c = capture();
    const r = new ProgressRenderer(c.out, false);
    r.publish('story.changed', story({ gates: [gate('gate-0', 'passed', 1), gate('gate-1', 'running', 2)] }));
    r.publish('story.changed', story({ gates: [gate('gate-0', 'passed', 1), gate('gate-1', 'passed', 2)] }));
    r.publish(
      'story.changed',
      story({
        status: 'merged',
        currentGate: 'gate-7',
        mergeSha: 'abcdef0123456789',
        gates: [gate('gate-0', 'passed', 1), gate('gate-1', 'passed', 2)],
      }),
    );
    r.end();
    expect(c.text().split('\n').filter(Boolean)).toEqual([
      'A-1 gate-0 preflight passed in 1.2s',
      'A-1 gate-1 plan passed in 1.2s',
      '✓ A-1 merged at gate-7 abcdef0123 ($0.0081)',
    ]);
  });

  it('keeps one live line per running story on a terminal (gate, elapsed, cost) and clears it at the end', async () => {
    const c = capture();
    const r = new ProgressRenderer(c.out, true);
    r.publish('story.changed', story({}));
    r.publish('story.changed', story({ id: 's:B-1', storyId: 'B-1', currentGate: 'gate-4' }));
    await new Promise((res) => setTimeout(res, 150));
    const live = c.text();
    expect(live).toMatch(/A-1\s+gate-2 develop\s+3\.\ds\s+\$0\.0081\s+writing files/);
    expect(live).toMatch(/B-1\s+gate-4 qa/);
    r.publish('notice', {
      kind: 'completed',
      title: 'Session s completed',
      body: 'All merged.',
      sessionId: 's',
      at: new Date().toISOString(),
    });
    r.end();
    // The live block is erased (cursor up + clear) before the permanent line and at the end.
    expect(c.text()).toContain('\x1b[2A\x1b[0J');
    expect(c.text()).toContain('✓ Session s completed: All merged.');
  });
});
