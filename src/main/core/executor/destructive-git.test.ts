import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * "No code path in the executor or orchestrator runs a destructive git command without a
 * snapshot first." This test reads their source, finds every git argv that can destroy
 * work, and requires each to be marked with how it is covered:
 *   // destructive: after-snapshot   a snapshot call comes first in the same function
 *   // destructive: fresh-worktree   fills a worktree just added with --no-checkout
 *   // destructive: pruning-step     the retention step deleting snapshots themselves
 * The behaviour behind each mark is tested with real git in backups.int.test.ts.
 */

const ROOT = join(__dirname, '..', '..', '..', '..');
const DIRS = ['src/main/core/executor', 'src/main/core/orchestrator'];

const DESTRUCTIVE: Array<{ name: string; re: RegExp }> = [
  { name: 'reset --hard', re: /'reset',\s*'--hard'/ },
  { name: 'reset --keep/--merge', re: /'reset',\s*'--(keep|merge)'/ },
  { name: 'clean', re: /\[\s*'clean'/ },
  { name: 'branch -D / -d / --delete', re: /'branch',\s*(\.\.\.\[[^\]]*\],\s*)?'(-D|-d|--delete|-f|--force|-M)'/ },
  { name: 'worktree remove', re: /'worktree',\s*'remove'/ },
  { name: 'checkout / switch / restore', re: /\[\s*'(checkout|switch|restore)'/ },
  { name: 'stash drop/clear', re: /'stash',\s*'(drop|clear|pop)'/ },
  { name: 'update-ref -d', re: /'update-ref',\s*'-d'/ },
  { name: 'rm (working tree)', re: /\[\s*'rm'(?![^\]]*'--cached')/ },
];

const MARKS = ['after-snapshot', 'fresh-worktree', 'pruning-step'] as const;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

interface Site {
  file: string;
  line: number;
  command: string;
  mark: string | null;
  snapshotFirst: boolean;
}

function findSites(): Site[] {
  const sites: Site[] = [];
  for (const dir of DIRS) {
    for (const file of sourceFiles(join(ROOT, dir))) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((text, i) => {
        if (/^\s*(\/\/|\*)/.test(text)) return;
        for (const d of DESTRUCTIVE) {
          if (!d.re.test(text)) continue;
          const around = [text, lines[i - 1] ?? '', lines[i - 2] ?? ''].join('\n');
          const mark = /\/\/ destructive: ([a-z-]+)/.exec(around)?.[1] ?? null;
          // The enclosing function: back to the nearest line that opens a method or function.
          let start = i;
          while (
            start > 0 &&
            !/^\s*(export\s+)?(async\s+)?(private\s+|protected\s+|public\s+|static\s+)*(async\s+)?(function\s+)?[A-Za-z_$][\w$]*\s*(<[^>]*>)?\(.*\)[^;]*\{\s*$/.test(
              lines[start]!,
            )
          )
            start -= 1;
          const body = lines.slice(start, i).join('\n');
          sites.push({
            file: relative(ROOT, file),
            line: i + 1,
            command: d.name,
            mark,
            snapshotFirst: /\b(snapshotOwned|snapshot)\(/.test(body),
          });
        }
      });
    }
  }
  return sites;
}

describe('destructive git commands in the executor and orchestrator', () => {
  const sites = findSites();

  it('finds the known destructive sites (the scan is not blind)', () => {
    const where = sites.map((s) => `${s.file.split('/').pop()} ${s.command}`);
    expect(where).toEqual(
      expect.arrayContaining([
        'worktree-manager.ts reset --hard',
        'worktree-manager.ts clean',
        'worktree-manager.ts worktree remove',
        'worktree-manager.ts branch -D / -d / --delete',
        'backups.ts update-ref -d',
      ]),
    );
  });

  it('every one is marked with how the work is kept, and "after-snapshot" sites take a snapshot first', () => {
    const problems: string[] = [];
    for (const s of sites) {
      if (!s.mark || !(MARKS as readonly string[]).includes(s.mark)) {
        problems.push(
          `${s.file}:${s.line} runs git ${s.command} without a "// destructive: ${MARKS.join('|')}" mark: take a snapshot first (WorktreeManager.resetTo/remove/snapshot).`,
        );
      } else if (s.mark === 'after-snapshot' && !s.snapshotFirst) {
        problems.push(
          `${s.file}:${s.line} says after-snapshot but its function calls no snapshot before git ${s.command}.`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it('the orchestrator runs no destructive git command itself: it goes through the WorktreeManager', () => {
    expect(
      sites.filter((s) => s.file.includes('/orchestrator/')).map((s) => `${s.file}:${s.line} ${s.command}`),
    ).toEqual([]);
  });
});
