import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a session keeps its files in the data dir:
 *   sessions/<session>/<story>/story.json        WAVE_STORY_FILE
 *   sessions/<session>/<story>/prompt-<phase>.md WAVE_PROMPT_FILE
 *   sessions/<session>/<story>/feedback-<n>.txt  WAVE_FEEDBACK_FILE (QA output for the fix loop)
 *   logs/<session>/<story>/<gate>-<attempt>.log  one log per gate run (gateRuns.logPath)
 *   control/                                     cross-process stop requests and status (see control-files.ts)
 */
export class SessionFiles {
  constructor(
    readonly dataDir: string,
    readonly sessionId: string,
  ) {}

  storyDir(storyId: string): string {
    return join(this.dataDir, 'sessions', this.sessionId, storyId);
  }

  storyFile(storyId: string): string {
    return join(this.storyDir(storyId), 'story.json');
  }

  promptFile(storyId: string, phase: string): string {
    return join(this.storyDir(storyId), `prompt-${phase}.md`);
  }

  feedbackFile(storyId: string, n: number): string {
    return join(this.storyDir(storyId), `feedback-${n}.txt`);
  }

  gateLog(storyId: string, gate: string, attempt: number): string {
    return join(this.dataDir, 'logs', this.sessionId, storyId, `${gate}-${attempt}.log`);
  }

  /** Writes a file atomically (temp + rename), creating its folder. */
  static write(path: string, text: string): void {
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }
}
