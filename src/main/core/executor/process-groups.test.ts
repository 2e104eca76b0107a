import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProcessGroups } from './process-groups';

// A fake /proc lets these tests describe pid reuse precisely, without real processes.
let proc: string;

beforeEach(() => {
  proc = mkdtempSync(join(tmpdir(), 'wave-fakeproc-'));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(proc, { recursive: true, force: true });
});

function fakeProcess(pid: number, pgid: number, startTime: number, state = 'S') {
  mkdirSync(join(proc, String(pid)), { recursive: true });
  const fields = [
    state,
    '1',
    String(pgid),
    String(pgid),
    '0',
    '-1',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '0',
    '20',
    '0',
    '1',
    '0',
    String(startTime),
  ];
  writeFileSync(join(proc, String(pid), 'stat'), `${pid} (agent) ${fields.join(' ')} 0 0`);
}

describe('ProcessGroups', () => {
  it('never signals a group whose number was reused by a process it did not start', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    fakeProcess(5000, 5000, 100);
    const groups = new ProcessGroups({ procRoot: proc });
    const record = groups.register({ pid: 5000, sessionId: 's1', label: 'agent' });
    expect(record.leaderStartTime).toBe(100);
    // Our group emptied and a stranger now leads a group with the same number.
    rmSync(join(proc, '5000'), { recursive: true });
    fakeProcess(5000, 5000, 999);
    fakeProcess(5001, 5000, 1000);
    const report = await groups.stopSession('s1', 10);
    expect(report).toEqual({ stopped: 0, killed: 0, aliveAfter: 0, groups: [] });
    expect(kill).not.toHaveBeenCalled();
    expect(groups.forSession('s1')).toEqual([]);
  });

  it('signals its own group while the leader or its descendants live, and ignores zombies', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation((pid, signal) => {
      // SIGTERM is ignored; SIGKILL ends the group (the leader stays a zombie until reaped).
      if (signal === 'SIGKILL' && pid === -6000) {
        rmSync(join(proc, '6001'), { recursive: true, force: true });
        fakeProcess(6000, 6000, 200, 'Z');
      }
      return true;
    });
    fakeProcess(6000, 6000, 200);
    fakeProcess(6001, 6000, 201);
    fakeProcess(7000, 7000, 50); // someone else's group
    const groups = new ProcessGroups({ procRoot: proc });
    groups.register({ pid: 6000, sessionId: 's2', label: 'agent' });
    const report = await groups.stopSession('s2', 30);
    expect(report).toMatchObject({ stopped: 1, killed: 1, aliveAfter: 0 });
    expect(kill.mock.calls).toEqual([
      [-6000, 'SIGTERM'],
      [-6000, 'SIGKILL'],
    ]);
  });
});
