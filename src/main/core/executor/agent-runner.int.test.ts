import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelTotals, SCRIPTED_AGENT_COMMAND, writeStory } from '../../../../test/fixtures/repos/agents';
import { killTagged, processesTagged } from '../../../../test/fixtures/repos/leftovers';
import type { AgentLineEvent as AgentEvent } from '../../../shared/events';
import { AgentRunner, type AgentRunRequest } from './agent-runner';
import { commandPreset } from './command-preset';
import { ProcessGroups } from './process-groups';

let dir: string;
let tag: string;
let runner: AgentRunner;

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'wave-runner-')));
  tag = randomUUID();
  runner = new AgentRunner({ graceMs: 300 });
});

afterEach(async () => {
  await runner.dispose();
  const left = processesTagged(tag);
  killTagged(tag);
  rmSync(dir, { recursive: true, force: true });
  expect(left, 'processes left running by the test').toEqual([]);
});

function request(storyId: string, overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  const storyFile = join(dir, `${storyId}.json`);
  if (!existsSync(storyFile)) writeStory(dir, storyId, { create: [`out/${storyId}.txt`] });
  return {
    sessionId: 'session-a',
    storyId,
    gate: 'gate-2',
    phase: 'develop',
    agentId: 'scripted',
    worktreePath: dir,
    storyFile,
    promptFile: join(dir, 'prompt.md'),
    preset: commandPreset(SCRIPTED_AGENT_COMMAND),
    logFile: join(dir, 'logs', `${storyId}.log`),
    timeoutMs: 20_000,
    env: { WAVE_TEST_TAG: tag, WAVE_AGENT_STATE_FILE: join(dir, `${storyId}.state.json`) },
    ...overrides,
  };
}

describe('AgentRunner', () => {
  it('gives the agent its WAVE_* run values (never REDIS_URL), streams its events and logs everything to the gate run log', async () => {
    const probe = [
      process.execPath,
      '-e',
      [
        "const keys=['WAVE_SESSION_ID','WAVE_STORY_ID','WAVE_GATE','WAVE_PHASE','WAVE_STORY_FILE','WAVE_PROMPT_FILE','WAVE_FEEDBACK_FILE','WAVE_AGENT_ID','REDIS_URL'];",
        'const env=Object.fromEntries(keys.map(k=>[k,process.env[k]??null]));',
        "console.log('plain log line');",
        "console.log(JSON.stringify({type:'progress',message:JSON.stringify({env,cwd:process.cwd(),argv:process.argv.slice(1)}),pct:50}));",
        "console.log(JSON.stringify({type:'usage',model:'claude-haiku-4-5',input_tokens:1000000,output_tokens:0}));",
        "console.log(JSON.stringify({type:'usage',model:'claude-haiku-4-5',input_tokens:0,output_tokens:1000,cost_usd:0.5}));",
        "console.log(JSON.stringify({type:'progress'}));",
        "console.log(JSON.stringify({note:'json without a type is log'}));",
        "console.error('something on stderr');",
        "console.log(JSON.stringify({type:'signal',signal:'complete',message:'done'}));",
      ].join(''),
      '{phase}',
      '{storyId} and {gate}; $(touch pwned) `id`',
    ];
    const lines: string[] = [];
    const events: AgentEvent[] = [];
    const own = new AgentRunner({
      graceMs: 300,
      env: { parent: { ...process.env, REDIS_URL: 'redis://127.0.0.1:6399' }, grant: { pass: ['REDIS_URL'], set: {} } },
    });
    const result = await own.run(
      request('S-ENV', {
        phase: 'fix',
        feedbackFile: join(dir, 'feedback.txt'),
        preset: commandPreset(probe),
        env: { WAVE_TEST_TAG: tag, WAVE_STORY_ID: 'spoofed' },
        onLine: (l) => lines.push(`${l.stream}:${l.text}`),
        onEvent: (e) => events.push(e),
      }),
    );
    await own.dispose();
    expect(result.status).toBe('succeeded');
    const first = events[0]!;
    expect(first.type).toBe('progress');
    const seen = JSON.parse((first as { message: string }).message);
    expect(seen.env).toEqual({
      WAVE_SESSION_ID: 'session-a',
      WAVE_STORY_ID: 'S-ENV',
      WAVE_GATE: 'gate-2',
      WAVE_PHASE: 'fix',
      WAVE_STORY_FILE: join(dir, 'S-ENV.json'),
      WAVE_PROMPT_FILE: join(dir, 'prompt.md'),
      WAVE_FEEDBACK_FILE: join(dir, 'feedback.txt'),
      WAVE_AGENT_ID: 'scripted',
      REDIS_URL: null,
    });
    expect(seen.cwd).toBe(dir);
    // Placeholders are substituted inside single arguments; shell syntax stays inert text.
    expect(seen.argv).toEqual(['fix', 'S-ENV and gate-2; $(touch pwned) `id`']);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);

    // Usage without cost is priced from the table; a given cost is kept.
    const usage = events.filter((e) => e.type === 'usage');
    expect(usage.map((u) => u.cost_usd)).toEqual([1, 0.5]);
    expect(result.usage.totalCostUsd).toBe(1.5);
    expect(result.usage.models).toEqual(modelTotals(['claude-haiku-4-5', 1_000_000, 1000, 0, 0, 1.5]));
    expect(result.signals).toEqual([{ type: 'signal', signal: 'complete', message: 'done' }]);
    expect(result.invalidEvents).toBe(1);

    expect(lines).toContain('stdout:plain log line');
    expect(lines).toContain('stderr:something on stderr');
    const log = readFileSync(result.logFile, 'utf8');
    expect(log).toContain('plain log line');
    expect(log).toContain('[stderr] something on stderr');
    expect(log).toContain('{"note":"json without a type is log"}');
    expect(log).toContain('ignored an invalid event line');
    expect(log).toMatch(/end status=succeeded exit=0/);
  });

  it('lets the exit code decide: a failing agent fails the phase with its reason', async () => {
    writeStory(dir, 'S-FAIL', { create: ['x.txt'], testAgent: { fail_phases: ['develop'], exit_code: 4 } });
    const result = await runner.run(request('S-FAIL'));
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(4);
    expect(result.failure).toEqual({ kind: 'exit_code', message: 'The agent exited with code 4.' });
    expect(result.signals.map((s) => s.signal)).toEqual(['error']);
  });

  it('fails N times, then succeeds in the fix phase with the QA feedback', async () => {
    writeStory(dir, 'S-QA', {
      create: ['src/f.ts'],
      testAgent: { qa_fix: true, fail_phases: ['fix'], fail_times: 1, commit: false },
    });
    const develop = await runner.run(request('S-QA'));
    expect(develop.status).toBe('succeeded');
    expect(readFileSync(join(dir, 'src/f.ts'), 'utf8')).toContain('WAVE_QA_BROKEN');
    const noFeedback = await runner.run(request('S-QA', { phase: 'fix' }));
    expect(noFeedback.status).toBe('failed');
    writeFileSync(join(dir, 'qa.txt'), 'QA failed: src/f.ts still marked WAVE_QA_BROKEN\n');
    const fixed = await runner.run(request('S-QA', { phase: 'fix', feedbackFile: join(dir, 'qa.txt') }));
    expect(fixed.status).toBe('succeeded');
    expect(readFileSync(join(dir, 'src/f.ts'), 'utf8')).not.toContain('WAVE_QA_BROKEN');
  });

  it('reports a crash (uncaught exception or a signal) as a failure', async () => {
    writeStory(dir, 'S-CRASH', { create: ['c.txt'], testAgent: { crash: true, commit: false } });
    const crashed = await runner.run(request('S-CRASH'));
    expect(crashed.status).toBe('failed');
    expect(crashed.exitCode).toBe(1);
    expect(readFileSync(crashed.logFile, 'utf8')).toContain('crashing as instructed');

    writeStory(dir, 'S-SEGV', { create: ['c.txt'], testAgent: { crash: 'SIGSEGV', commit: false } });
    const segv = await runner.run(request('S-SEGV'));
    expect(segv.status).toBe('failed');
    expect(segv.failure).toEqual({ kind: 'signal', message: 'The agent was killed by SIGSEGV.' });
  });

  it('times out a hanging agent and kills its whole process tree, SIGTERM-proof grandchildren included', async () => {
    writeStory(dir, 'S-HANG', { testAgent: { hang: true, ignore_sigterm: true, grandchildren: 2 } });
    const result = await runner.run(request('S-HANG', { timeoutMs: 800 }));
    expect(result.status).toBe('timed_out');
    expect(result.failure?.kind).toBe('timeout');
    expect(processesTagged(tag)).toEqual([]);
    expect(readFileSync(result.logFile, 'utf8')).toContain('timed out after 800 ms');
  });

  it('stops what an agent left running in its group when it exits', async () => {
    writeStory(dir, 'S-LEFT', { create: ['l.txt'], testAgent: { grandchildren: 2, commit: false } });
    const result = await runner.run(request('S-LEFT'));
    expect(result.status).toBe('succeeded');
    expect(result.leftoverProcesses).toBe(2);
    expect(processesTagged(tag)).toEqual([]);
  });

  it('reports an agent command that cannot start', async () => {
    const result = await runner.run(
      request('S-NOPE', { preset: commandPreset(['wave-no-such-agent-binary', '{storyFile}']) }),
    );
    expect(result.status).toBe('spawn_failed');
    expect(result.failure?.message).toContain('wave-no-such-agent-binary');
    expect(result.failure?.message).toContain('ENOENT');
  });

  it('stopAll stops every agent of the session, SIGTERM-ignoring ones and grandchildren, and nothing else', async () => {
    const events: string[] = [];
    const runs = ['S-1', 'S-2', 'S-3'].map((id) => {
      writeStory(dir, id, { testAgent: { hang: true, ignore_sigterm: true, grandchildren: 2 } });
      return runner.start(request(id, { onEvent: (e) => e.type === 'progress' && events.push(id) }));
    });
    // Another session, and a process the runner did not create: both must survive.
    writeStory(dir, 'OTHER', { testAgent: { hang: true } });
    const other = runner.start(
      request('OTHER', { sessionId: 'session-b', onEvent: (e) => e.type === 'progress' && events.push('OTHER') }),
    );
    const bystander = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, WAVE_TEST_TAG: tag },
    });
    await waitFor(
      () =>
        ['S-1', 'S-2', 'S-3', 'OTHER'].every((id) => events.includes(id)) && processesTagged(tag).length >= 3 * 3 + 2,
    );

    const report = await runner.stopAll('session-a');
    expect(report.stopped).toBe(3);
    expect(report.killed).toBe(3);
    expect(report.aliveAfter).toBe(0);
    for (const run of runs) expect((await run.done).status).toBe('stopped');

    const alive = processesTagged(tag);
    expect(alive).toContain(bystander.pid);
    expect(alive).toContain(other.pid);
    expect(alive).toHaveLength(2);

    const second = await runner.stopAll('session-b');
    expect(second).toMatchObject({ stopped: 1, killed: 0, aliveAfter: 0 });
    expect((await other.done).status).toBe('stopped');
    process.kill(-bystander.pid!, 'SIGKILL');
    await waitFor(() => processesTagged(tag).length === 0);
  });

  it('a later process stops the agents a crashed one left behind (group records on disk)', async () => {
    const stateDir = join(dir, 'groups');
    const crashed = new AgentRunner({ graceMs: 300, groups: new ProcessGroups({ stateDir }) });
    writeStory(dir, 'S-GHOST', { testAgent: { hang: true, ignore_sigterm: true, grandchildren: 1 } });
    let started = false;
    const ghost = crashed.start(request('S-GHOST', { onEvent: () => (started = true) }));
    await waitFor(() => started && processesTagged(tag).length >= 2);

    // The new process knows nothing in memory, only what is on disk.
    const fresh = new ProcessGroups({ stateDir });
    expect(fresh.sessions(true)).toEqual(['session-a']);
    const report = await fresh.stopSession('session-a', 300);
    expect(report).toMatchObject({ stopped: 1, killed: 1, aliveAfter: 0 });
    expect((await ghost.done).status).toBe('failed');
    expect(processesTagged(tag)).toEqual([]);
    expect(fresh.forSession('session-a')).toEqual([]);
    await crashed.dispose();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
