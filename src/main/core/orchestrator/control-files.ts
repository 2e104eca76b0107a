import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * Files that let another process reach a running session without the database: the
 * embedded PGlite store admits one process at a time, so `wave stop` and `wave status`
 * next to a running `wave run` cannot open it. Under <dataDir>/control/:
 *   <session>.json         the owner's registration (pid, repo), removed when it ends
 *   <session>.view.json    the owner's latest view of the session (for wave status)
 *   <session>.stop         a stop request (reason, by), removed once handled
 *   <session>.stopped.json the owner's stop report (agents stopped, alive after)
 * And the project's kill switch: <repo>/.wave/STOP stops every session on that repo.
 */

export interface SessionRegistration {
  sessionId: string;
  pid: number;
  host: string;
  repoPath: string;
  startedAt: string;
}

export interface StopRequest {
  reason: string;
  by: string;
  at: string;
}

export interface StopResult {
  sessionId: string;
  stoppedAgents: number;
  aliveAfter: number;
  storiesCheckpointed: number;
  reason: string;
  by: string;
  at: string;
}

export function killSwitchPath(repoPath: string): string {
  return join(repoPath, '.wave', 'STOP');
}

/** The kill switch's text (its reason), or null when it is not set. */
export function readKillSwitch(repoPath: string): string | null {
  const p = killSwitchPath(repoPath);
  if (!existsSync(p)) return null;
  try {
    return readFileSync(p, 'utf8').trim().slice(0, 500);
  } catch {
    return '';
  }
}

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

export class ControlFiles {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'control');
  }

  private path(sessionId: string, suffix: string): string {
    return join(this.dir, `${sessionId}${suffix}`);
  }

  private ensure(): void {
    mkdirSync(this.dir, { recursive: true });
  }

  register(r: SessionRegistration): void {
    this.ensure();
    writeJson(this.path(r.sessionId, '.json'), r);
  }

  unregister(sessionId: string): void {
    rmSync(this.path(sessionId, '.json'), { force: true });
  }

  registrations(): SessionRegistration[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.json') && !n.endsWith('.view.json') && !n.endsWith('.stopped.json'))
      .map((n) => readJson<SessionRegistration>(join(this.dir, n)))
      .filter((r): r is SessionRegistration => r !== null && typeof r.sessionId === 'string');
  }

  writeView(sessionId: string, view: unknown): void {
    this.ensure();
    writeJson(this.path(sessionId, '.view.json'), view);
  }

  readView<T>(sessionId: string): T | null {
    return readJson<T>(this.path(sessionId, '.view.json'));
  }

  requestStop(sessionId: string, req: StopRequest): void {
    this.ensure();
    rmSync(this.path(sessionId, '.stopped.json'), { force: true });
    writeJson(this.path(sessionId, '.stop'), req);
  }

  pendingStop(sessionId: string): StopRequest | null {
    const p = this.path(sessionId, '.stop');
    if (!existsSync(p)) return null;
    return readJson<StopRequest>(p) ?? { reason: 'stop requested', by: 'wave stop', at: new Date().toISOString() };
  }

  clearStop(sessionId: string): void {
    rmSync(this.path(sessionId, '.stop'), { force: true });
  }

  writeStopResult(r: StopResult): void {
    this.ensure();
    writeJson(this.path(r.sessionId, '.stopped.json'), r);
  }

  readStopResult(sessionId: string): StopResult | null {
    return readJson<StopResult>(this.path(sessionId, '.stopped.json'));
  }
}
