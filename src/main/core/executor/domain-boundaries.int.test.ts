import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { DomainBoundaries, parseNameStatus, type AuditEntry, type AuditSink } from './domain-boundaries';
import { WorktreeManager, type CreatedWorktree } from './worktree-manager';

const DOMAINS = {
  auth: ['src/auth/**', 'test/auth/'],
  billing: ['src/billing/**'],
  SHARED: ['package.json', 'docs/**'],
};

class MemoryAudit implements AuditSink {
  entries: AuditEntry[] = [];
  fail = false;
  async record(entry: AuditEntry): Promise<void> {
    if (this.fail) throw new Error('audit log unavailable');
    this.entries.push(entry);
  }
}

let repo: TestRepo;
let wm: WorktreeManager;
let wt: CreatedWorktree;
let audit: MemoryAudit;
let boundaries: DomainBoundaries;

beforeEach(async () => {
  repo = createTestRepo({
    'package.json': '{}\n',
    'src/auth/login.ts': 'export const login = 1;\n',
    'src/billing/invoice.ts': 'export const invoice = 1;\n',
    'README.md': '# r\n',
  });
  wm = await WorktreeManager.open({ repoPath: repo.path, dataDir: repo.dataDir, targetBranch: 'main' });
  wt = await wm.create({ storyId: 'AUTH-1', agent: 'a' });
  audit = new MemoryAudit();
  boundaries = new DomainBoundaries(DOMAINS, audit);
});

afterEach(async () => {
  await wm.remove('AUTH-1', { deleteBranch: true });
  repo.cleanup();
});

function check(override?: { actor: string; reason: string }) {
  return boundaries.check({
    storyId: 'AUTH-1',
    sessionId: 'sess',
    domain: 'auth',
    worktreePath: wt.path,
    base: 'main',
    override,
  });
}

describe('DomainBoundaries (gate-3)', () => {
  it('passes when every change is inside the story domain or SHARED', async () => {
    repo.commit(
      {
        'src/auth/token.ts': 'x\n',
        'test/auth/token.test.ts': 'y\n',
        'docs/auth.md': 'z\n',
        'package.json': '{"a":1}\n',
      },
      'auth work',
      wt.path,
    );
    const result = await check();
    expect(result.ok).toBe(true);
    expect(result.outside).toEqual([]);
    expect(result.changed.map((c) => `${c.status} ${c.path}`).sort()).toEqual([
      'A docs/auth.md',
      'A src/auth/token.ts',
      'A test/auth/token.test.ts',
      'M package.json',
    ]);
  });

  it('fails and lists every changed path outside the domain, renames counting both paths', async () => {
    repo.git(['mv', 'src/billing/invoice.ts', 'src/auth/invoice.ts'], wt.path);
    repo.commit({ 'src/auth/ok.ts': 'ok\n', 'README.md': '# changed\n' }, 'outside', wt.path);
    const result = await check();
    expect(result.ok).toBe(false);
    expect(result.outside).toEqual(['README.md', 'src/billing/invoice.ts']);
    expect(result.changed).toContainEqual({ status: 'R', path: 'src/auth/invoice.ts', from: 'src/billing/invoice.ts' });
    expect(result.message).toContain('README.md, src/billing/invoice.ts');
    expect(audit.entries).toEqual([]);
  });

  it('compares to the merge base: work that landed on the target meanwhile is not the story’s', async () => {
    repo.commit({ 'src/billing/new.ts': 'landed\n' }, 'billing landed on main');
    repo.commit({ 'src/auth/a.ts': 'a\n' }, 'auth', wt.path);
    repo.git(['merge', '--no-edit', '-q', 'main'], wt.path);
    const result = await check();
    expect(result.ok).toBe(true);
    expect(result.changed.map((c) => c.path)).toEqual(['src/auth/a.ts']);
  });

  it('an override needs a person and a reason, and is written to the audit log', async () => {
    repo.commit({ 'src/billing/fix.ts': 'needed\n' }, 'cross-domain fix', wt.path);
    const empty = await check({ actor: 'lead', reason: '   ' });
    expect(empty.ok).toBe(false);
    expect(empty.message).toContain('needs a reason');
    expect(audit.entries).toEqual([]);

    const result = await check({ actor: 'lead', reason: 'billing hook required by login' });
    expect(result.ok).toBe(true);
    expect(result.overridden).toBe(true);
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({
      action: 'domain_boundary_override',
      actor: 'lead',
      reason: 'billing hook required by login',
      storyId: 'AUTH-1',
      sessionId: 'sess',
      detail: { domain: 'auth', paths: ['src/billing/fix.ts'], base: 'main', head: result.headSha },
    });

    audit.fail = true;
    await expect(check({ actor: 'lead', reason: 'again' })).rejects.toThrow('audit log unavailable');
  });

  it('refuses symlinks that point outside the worktree, even inside the domain, and no override helps', async () => {
    mkdirSync(join(wt.path, 'src/auth'), { recursive: true });
    symlinkSync('/etc/passwd', join(wt.path, 'src/auth/passwd'));
    symlinkSync('../../../../..', join(wt.path, 'src/auth/up'));
    symlinkSync('login.ts', join(wt.path, 'src/auth/alias.ts'));
    repo.git(['add', '--all'], wt.path);
    repo.git(['commit', '-q', '-m', 'links'], wt.path);
    const result = await check({ actor: 'lead', reason: 'please' });
    expect(result.ok).toBe(false);
    expect(result.escaped).toEqual(['src/auth/passwd', 'src/auth/up']);
    expect(result.overridden).toBe(false);
    expect(audit.entries).toEqual([]);
  });

  it('requires the changes to be committed', async () => {
    writeFileSync(join(wt.path, 'src/auth/draft.ts'), 'draft\n');
    const result = await check();
    expect(result.ok).toBe(false);
    expect(result.uncommitted).toEqual(['src/auth/draft.ts']);
    rmSync(join(wt.path, 'src/auth/draft.ts'));
  });

  it('ignores files wave copied in (e.g. .env) and rejects unknown domains with a clear error', async () => {
    writeFileSync(join(wt.path, '.env'), 'SECRET=1\n');
    const result = await boundaries.check({
      storyId: 'AUTH-1',
      domain: 'auth',
      worktreePath: wt.path,
      base: 'main',
      ignoreUntracked: ['.env'],
    });
    expect(result.ok).toBe(true);
    await expect(
      boundaries.check({ storyId: 'AUTH-1', domain: 'payments', worktreePath: wt.path, base: 'main' }),
    ).rejects.toThrow('The domain "payments" is not defined in wave.config.json (known: auth, billing, SHARED)');
  });
});

describe('parseNameStatus', () => {
  it('reads -z output with renames, copies and odd file names', () => {
    const out = ['M', 'a b.txt', 'R087', 'old\nname', 'new', 'C100', 'src', 'copy', 'D', 'gone', ''].join('\0');
    expect(parseNameStatus(out)).toEqual([
      { status: 'M', path: 'a b.txt' },
      { status: 'R', path: 'new', from: 'old\nname' },
      { status: 'C', path: 'copy', from: 'src' },
      { status: 'D', path: 'gone' },
    ]);
  });
});
