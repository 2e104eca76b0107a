import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertSafeSessionId } from './session-id';
import { readProcStat, scanGroups, type ProcStat } from './proc';

/** A process group this executor created (its leader was spawned with `detached: true`). */
export interface ProcessGroupRecord {
  pgid: number;
  /** Start time of the leader (/proc stat field 22): tells our group from a reused pgid. */
  leaderStartTime: number;
  sessionId: string;
  storyId?: string;
  label: string;
  createdAt: string;
}

export interface StopReport {
  /** Process groups that were signalled (had live processes when the stop began). */
  stopped: number;
  /** Of those, groups still alive after the grace period that got SIGKILL. */
  killed: number;
  /** Processes of those groups still alive (zombies excluded) after the stop: should be 0. */
  aliveAfter: number;
  groups: Array<{ pgid: number; storyId?: string; label: string; killed: boolean; aliveAfter: number }>;
}

export interface ProcessGroupsOptions {
  /** Where group records are kept so a later process can stop leftovers of a crashed one. */
  stateDir?: string;
  procRoot?: string;
  /** How long to wait for the kernel to finish SIGKILLed processes before reporting. */
  killWaitMs?: number;
}

/**
 * The registry of process groups this executor started, and the only code that signals
 * them. It never signals a group it has no record of, and before signalling it checks
 * that the group is still the one it created: if a process with pid = pgid is alive but
 * started at another time than our leader, the number was reused and is left alone.
 */
export class ProcessGroups {
  private readonly records = new Map<number, ProcessGroupRecord>();
  private readonly procRoot: string;
  private readonly killWaitMs: number;

  constructor(private readonly options: ProcessGroupsOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.killWaitMs = options.killWaitMs ?? 2_000;
  }

  /** Records a freshly spawned detached child as a group leader. Call right after spawn(). */
  register(entry: { pid: number; sessionId: string; storyId?: string; label: string }): ProcessGroupRecord {
    assertSafeSessionId(entry.sessionId);
    const record: ProcessGroupRecord = {
      pgid: entry.pid,
      // Read at once: the child cannot be reaped (and its pid reused) before the event loop runs.
      leaderStartTime: readProcStat(entry.pid, this.procRoot)?.startTime ?? 0,
      sessionId: entry.sessionId,
      storyId: entry.storyId,
      label: entry.label,
      createdAt: new Date().toISOString(),
    };
    this.records.set(record.pgid, record);
    this.persist(record);
    return record;
  }

  /** Forgets a group (only once it is known to be empty). */
  unregister(record: ProcessGroupRecord): void {
    if (this.records.get(record.pgid) === record) this.records.delete(record.pgid);
    if (this.options.stateDir) {
      try {
        unlinkSync(this.recordPath(record));
      } catch {
        // Not persisted or already removed.
      }
    }
  }

  /** Groups of a session: those of this process and, with a stateDir, those left by an earlier one. */
  forSession(sessionId: string): ProcessGroupRecord[] {
    const found = new Map<string, ProcessGroupRecord>();
    for (const r of this.records.values()) if (r.sessionId === sessionId) found.set(key(r), r);
    for (const r of this.loadPersisted(sessionId)) if (!found.has(key(r))) found.set(key(r), r);
    return [...found.values()];
  }

  /** Session ids with groups on record in this process; with `includePersisted`, also those left on disk by earlier processes. */
  sessions(includePersisted = false): string[] {
    const ids = new Set<string>();
    for (const r of this.records.values()) ids.add(r.sessionId);
    if (includePersisted && this.options.stateDir) {
      try {
        for (const name of readdirSync(this.options.stateDir)) ids.add(name);
      } catch {
        // No state yet.
      }
    }
    return [...ids];
  }

  /** Live processes of each group that are provably ours. */
  members(records: ProcessGroupRecord[]): Map<ProcessGroupRecord, ProcStat[]> {
    const scan = scanGroups(
      records.map((r) => r.pgid),
      this.procRoot,
    );
    const out = new Map<ProcessGroupRecord, ProcStat[]>();
    for (const r of records) out.set(r, ownedMembers(r, scan.get(r.pgid) ?? []));
    return out;
  }

  /** Stops every group of a session: SIGTERM, SIGKILL after `graceMs`, then verifies in /proc. */
  stopSession(sessionId: string, graceMs: number): Promise<StopReport> {
    return this.terminate(this.forSession(sessionId), graceMs);
  }

  /**
   * SIGTERM to each group with live processes, SIGKILL to those still alive after
   * `graceMs`, then waits (up to killWaitMs) until /proc shows none of them alive.
   * Groups found empty are forgotten.
   */
  async terminate(records: ProcessGroupRecord[], graceMs: number): Promise<StopReport> {
    const initial = this.members(records);
    const targets = records.filter((r) => (initial.get(r)?.length ?? 0) > 0);
    for (const r of records) if (!targets.includes(r)) this.unregister(r);
    const report: StopReport = { stopped: targets.length, killed: 0, aliveAfter: 0, groups: [] };
    if (targets.length === 0) return report;

    for (const r of targets) signalGroup(r.pgid, 'SIGTERM');
    let alive = await this.waitUntilEmpty(targets, graceMs, 5, 50);

    const stubborn = targets.filter((r) => (alive.get(r)?.length ?? 0) > 0);
    for (const r of stubborn) signalGroup(r.pgid, 'SIGKILL');
    if (stubborn.length > 0) alive = await this.waitUntilEmpty(targets, this.killWaitMs, 1, 5);

    report.killed = stubborn.length;
    for (const r of targets) {
      const left = alive.get(r)?.length ?? 0;
      report.aliveAfter += left;
      report.groups.push({
        pgid: r.pgid,
        storyId: r.storyId,
        label: r.label,
        killed: stubborn.includes(r),
        aliveAfter: left,
      });
      if (left === 0) this.unregister(r);
    }
    return report;
  }

  /**
   * Polls /proc until the groups are empty or the time is up. The interval grows from
   * `firstPollMs` to `maxPollMs` (a scan reads every process's stat file), and the last
   * sleep is clipped so the deadline is never overshot.
   */
  private async waitUntilEmpty(
    records: ProcessGroupRecord[],
    timeoutMs: number,
    firstPollMs: number,
    maxPollMs: number,
  ): Promise<Map<ProcessGroupRecord, ProcStat[]>> {
    const deadline = Date.now() + timeoutMs;
    let poll = firstPollMs;
    for (;;) {
      const alive = this.members(records);
      let count = 0;
      for (const list of alive.values()) count += list.length;
      const left = deadline - Date.now();
      if (count === 0 || left <= 0) return alive;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(poll, left))));
      poll = Math.min(maxPollMs, poll * 1.5);
    }
  }

  private persist(record: ProcessGroupRecord): void {
    if (!this.options.stateDir) return;
    mkdirSync(join(this.options.stateDir, record.sessionId), { recursive: true });
    writeFileSync(this.recordPath(record), JSON.stringify(record));
  }

  private recordPath(record: ProcessGroupRecord): string {
    return join(this.options.stateDir!, record.sessionId, `${record.pgid}-${record.leaderStartTime}.json`);
  }

  private loadPersisted(sessionId: string): ProcessGroupRecord[] {
    if (!this.options.stateDir) return [];
    assertSafeSessionId(sessionId);
    const dir = join(this.options.stateDir, sessionId);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const out: ProcessGroupRecord[] = [];
    for (const name of names) {
      try {
        const r = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProcessGroupRecord;
        if (Number.isInteger(r.pgid) && r.pgid > 1 && r.sessionId === sessionId) out.push(r);
      } catch {
        // A torn record is useless (we cannot prove the group is ours): drop it.
        rmSync(join(dir, name), { force: true });
      }
    }
    return out;
  }
}

function key(r: ProcessGroupRecord): string {
  return `${r.pgid}:${r.leaderStartTime}`;
}

/**
 * The live members of a group that can only be ours. While any member of a group lives,
 * the kernel cannot hand its number to a new process, so members of a pgid whose leader
 * is gone are the descendants of our leader; if a process with pid = pgid lives but
 * started at another time, the number was reused after our group emptied.
 */
function ownedMembers(record: ProcessGroupRecord, members: ProcStat[]): ProcStat[] {
  const leader = members.find((p) => p.pid === record.pgid);
  if (leader && record.leaderStartTime && leader.startTime !== record.leaderStartTime) return [];
  return members.filter((p) => !record.leaderStartTime || p.startTime >= record.leaderStartTime);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  // pgid > 1 always: a negative 0 or -1 would signal our own group or every process.
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group emptied between the scan and the signal.
  }
}
