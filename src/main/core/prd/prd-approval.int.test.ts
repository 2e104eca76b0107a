import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { auditLog, openStore, prdDecisions, prds, projects, stories, type Store } from '../../store';
import { ensureProject, StoryImporter } from './import-service';
import { PrdActionError, PrdNotApprovedError, PrdService } from './prd-service';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/stories');

describe('story import and hash-bound PRD approval (Postgres)', () => {
  let db: TestDatabase;
  let store: Store;
  let dataDir: string;
  let work: string;
  let projectId: string;
  let importer: StoryImporter;
  let service: PrdService;

  const importAll = (...paths: string[]) => importer.importPaths(paths, { projectId, actor: 'tester', cwd: work });
  const editJson = (rel: string, fn: (d: Record<string, unknown>) => void) => {
    const file = path.join(work, rel);
    const d = JSON.parse(fs.readFileSync(file, 'utf8'));
    fn(d);
    fs.writeFileSync(file, JSON.stringify(d, null, 2));
  };

  beforeAll(async () => {
    db = await createTestDatabase('stories_prd');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-prd-store-'));
    store = await openStore({ dataDir, databaseUrl: db.url, log: () => undefined });
    importer = new StoryImporter(store);
    service = new PrdService(store);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // Every test starts from empty tables (this database is this file's own) and a fresh copy of the fixture project.
    await store.transaction(async (tx) => {
      for (const t of [prdDecisions, prds, stories, auditLog, projects]) await tx.delete(t);
    });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-prd-work-'));
    fs.cpSync(path.join(FIXTURES, 'project'), work, { recursive: true });
    projectId = (await ensureProject(store, work)).id;
    return () => fs.rmSync(work, { recursive: true, force: true });
  });

  it('imports a folder of mixed-version stories with a result per file', async () => {
    const report = await importAll('.');
    const byFile = Object.fromEntries(report.files.map((f) => [f.file, f]));
    expect(Object.keys(byFile).sort()).toEqual([
      'README.md',
      'broken/acc-004-trailing-comma.json',
      'prd-accounts.md',
      'stories/acc-001-v41.json',
      'stories/acc-002-v42.json',
      'stories/acc-003-v43.json',
    ]);
    expect(byFile['stories/acc-001-v41.json']).toMatchObject({ status: 'imported', id: 'ACC-001', version: '4.1' });
    expect(byFile['stories/acc-002-v42.json']).toMatchObject({ status: 'imported', id: 'ACC-002', version: '4.2' });
    expect(byFile['stories/acc-003-v43.json']).toMatchObject({ status: 'imported', id: 'ACC-003', version: '4.3' });
    expect(byFile['prd-accounts.md']).toMatchObject({ status: 'imported', kind: 'prd', id: 'PRD-ACCOUNTS' });
    expect(byFile['README.md']!.status).toBe('skipped');
    const broken = byFile['broken/acc-004-trailing-comma.json']!;
    expect(broken.status).toBe('invalid');
    expect(broken.errors[0]).toMatchObject({ code: 'json-syntax', line: 3, column: 33 });
    expect(report.summary).toEqual({ imported: 4, updated: 0, unchanged: 0, invalid: 1, skipped: 1 });

    const rows = await store.db
      .select()
      .from(stories)
      .where(eq(stories.projectId, projectId))
      .orderBy(asc(stories.storyId));
    expect(rows.map((r) => [r.storyId, r.schemaVersion, r.waveNumber, r.prdId])).toEqual([
      ['ACC-001', '4.1', 1, 'PRD-ACCOUNTS'],
      ['ACC-002', '4.2', 2, 'PRD-ACCOUNTS'],
      ['ACC-003', '4.3', 2, 'PRD-ACCOUNTS'],
    ]);
    expect(rows[1]!.dependencies).toEqual(['ACC-001']);
    // The broken file imported nothing.
    expect(rows.find((r) => r.storyId === 'ACC-004')).toBeUndefined();
    const prd = (await store.db.select().from(prds).where(eq(prds.id, 'PRD-ACCOUNTS')))[0]!;
    expect(prd).toMatchObject({ status: 'draft', storyIds: ['ACC-001', 'ACC-002', 'ACC-003'], projectId });
    expect(prd.content).toBe(fs.readFileSync(path.join(work, 'prd-accounts.md'), 'utf8'));
  });

  it('is idempotent: re-importing the same content, even reformatted, changes nothing', async () => {
    await importAll('.');
    const before = await store.db.select().from(stories).where(eq(stories.projectId, projectId));
    const auditBefore = (await store.db.select().from(auditLog)).length;
    const again = await importAll('.');
    expect(again.summary).toEqual({ imported: 0, updated: 0, unchanged: 4, invalid: 1, skipped: 1 });
    // Key order and indentation are not content.
    const file = path.join(work, 'stories/acc-001-v41.json');
    const d = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(d).reverse()), null, '\t'));
    expect((await importAll('stories/acc-001-v41.json')).files[0]!.status).toBe('unchanged');
    const after = await store.db.select().from(stories).where(eq(stories.projectId, projectId));
    expect(after.map((r) => [r.storyId, r.contentHash, r.updatedAt.getTime()]).sort()).toEqual(
      before.map((r) => [r.storyId, r.contentHash, r.updatedAt.getTime()]).sort(),
    );
    expect((await store.db.select().from(auditLog)).length).toBe(auditBefore);
  });

  it('an approval holds only while the story content it approved is unchanged', async () => {
    await importAll('.');
    const approved = await service.approve('PRD-ACCOUNTS', { by: 'Ana Lead', comment: 'looks right' });
    expect(approved).toMatchObject({
      approved: true,
      status: 'approved',
      approvedBy: 'Ana Lead',
      comment: 'looks right',
    });
    await expect(service.assertApproved('PRD-ACCOUNTS')).resolves.toMatchObject({ approved: true });

    editJson('stories/acc-002-v42.json', (d) => {
      d.title = 'Account settings page, with a dark mode';
    });
    const report = await importAll('stories/acc-002-v42.json');
    const r = report.files[0]!;
    expect(r.status).toBe('updated');
    expect(r.voided).toHaveLength(1);
    expect(r.voided[0]!.prdId).toBe('PRD-ACCOUNTS');
    expect(r.voided[0]!.reason).toContain('story ACC-002 changed title');
    expect(r.message).toContain('approval of PRD-ACCOUNTS is now void');

    const prd = (await store.db.select().from(prds).where(eq(prds.id, 'PRD-ACCOUNTS')))[0]!;
    expect(prd.status).toBe('void');
    expect(prd.voidReason).toContain('ACC-002');
    const decisions = await store.db.select().from(prdDecisions).where(eq(prdDecisions.prdId, 'PRD-ACCOUNTS'));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.voidedAt).toBeInstanceOf(Date);
    expect(decisions[0]!.voidReason).toContain('ACC-002');

    const err = await service.assertApproved('PRD-ACCOUNTS').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrdNotApprovedError);
    expect((err as Error).message).toContain('is void: story ACC-002 changed title');
    expect((err as Error).message).toContain('wave prd approve PRD-ACCOUNTS');

    // A new approval covers the new content.
    await service.approve('PRD-ACCOUNTS', { by: 'Ana Lead' });
    await expect(service.assertApproved('PRD-ACCOUNTS')).resolves.toMatchObject({ approved: true });
    const actions = (
      await store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.subjectType, 'prd'), eq(auditLog.subjectId, 'PRD-ACCOUNTS')))
        .orderBy(asc(auditLog.id))
    ).map((a) => a.action);
    expect(actions).toEqual(['prd.import', 'prd.approve', 'prd.void', 'prd.approve']);
  });

  it('an approval is for one agent preset: another preset is refused naming both, and approving for it moves the approval', async () => {
    await importAll('.');
    // No wave.config.json in this project: its preset is claude-code.
    await service.approve('PRD-ACCOUNTS', { by: 'Ana Lead' });
    await expect(service.assertApproved('PRD-ACCOUNTS', 'claude-code')).resolves.toMatchObject({ approved: true });

    const err = await service.assertApproved('PRD-ACCOUNTS', 'scripted').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrdNotApprovedError);
    expect((err as Error).message).toMatch(
      /approved \(by Ana Lead on .+\) for agent preset claude-code, not for scripted/,
    );
    expect((err as Error).message).toContain('wave prd approve PRD-ACCOUNTS --agent scripted');
    // What the other preset would run is listed before it is approved.
    const view = await service.show('PRD-ACCOUNTS', 'scripted');
    expect(view.runs.agent).toMatchObject({
      preset: 'scripted',
      argv: ['node', 'e2e/fixtures/agents/scripted-agent.mjs'],
    });
    expect(view.approval.approved).toBe(false);
    expect((await service.show('PRD-ACCOUNTS')).runs.agent.preset).toBe('claude-code');

    // Approving for the other preset voids the first approval, saying why; the first preset now needs approving again.
    await service.approve('PRD-ACCOUNTS', { by: 'Ana Lead', agentPreset: 'scripted' });
    await expect(service.assertApproved('PRD-ACCOUNTS', 'scripted')).resolves.toMatchObject({ approved: true });
    const back = await service.approvalStatus('PRD-ACCOUNTS');
    expect(back.approved).toBe(false);
    expect(back.reason).toContain('for agent preset scripted, not for claude-code');
    const decisions = await store.db
      .select()
      .from(prdDecisions)
      .where(eq(prdDecisions.prdId, 'PRD-ACCOUNTS'))
      .orderBy(asc(prdDecisions.id));
    expect(decisions.map((d) => [d.decision, d.voidReason])).toEqual([
      ['approved', 'it was approved for agent preset claude-code, not for scripted'],
      ['approved', null],
    ]);
  });

  it('an approval is void when the PRD text changes, even by one character', async () => {
    await importAll('.');
    await service.approve('PRD-ACCOUNTS', { by: 'ana' });
    const file = path.join(work, 'prd-accounts.md');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('30 days', '31 days'));
    const r = (await importAll('prd-accounts.md')).files[0]!;
    expect(r).toMatchObject({ status: 'updated', kind: 'prd' });
    expect(r.voided[0]!.reason).toMatch(/the PRD text changed \(sha256 [0-9a-f]{12}… → [0-9a-f]{12}…/);
    const status = await service.approvalStatus('PRD-ACCOUNTS');
    expect(status.approved).toBe(false);
    expect(status.status).toBe('void');
    expect(status.reason).toContain('the PRD text changed');
  });

  it("re-checks the hashes itself: content edited behind WAVE's back is not approved", async () => {
    await importAll('.');
    await service.approve('PRD-ACCOUNTS', { by: 'ana' });
    await store.db.update(prds).set({ content: 'something else entirely' }).where(eq(prds.id, 'PRD-ACCOUNTS'));
    let status = await service.approvalStatus('PRD-ACCOUNTS');
    expect(status.status).toBe('approved');
    expect(status.approved).toBe(false);
    expect(status.changes[0]).toContain('the PRD text changed');
    // Restore the text, then tamper with a story instead.
    await store.db
      .update(prds)
      .set({ content: fs.readFileSync(path.join(work, 'prd-accounts.md'), 'utf8') })
      .where(eq(prds.id, 'PRD-ACCOUNTS'));
    expect((await service.approvalStatus('PRD-ACCOUNTS')).approved).toBe(true);
    await store.db
      .update(stories)
      .set({ contentHash: 'f'.repeat(64) })
      .where(and(eq(stories.projectId, projectId), eq(stories.storyId, 'ACC-003')));
    status = await service.approvalStatus('PRD-ACCOUNTS');
    expect(status.approved).toBe(false);
    expect(status.changes).toEqual(['story ACC-003 changed']);
    await expect(service.assertApproved('PRD-ACCOUNTS')).rejects.toThrow(/since then story ACC-003 changed/);
  });

  it('a broken edit imports nothing and leaves the approval standing', async () => {
    await importAll('.');
    await service.approve('PRD-ACCOUNTS', { by: 'ana' });
    editJson('stories/acc-003-v43.json', (d) => {
      (d.objective as Record<string, unknown>).so_that = 'short';
    });
    const r = (await importAll('stories/acc-003-v43.json')).files[0]!;
    expect(r.status).toBe('invalid');
    expect(r.errors[0]).toMatchObject({ pointer: '/objective/so_that', code: 'minLength' });
    expect((await service.approvalStatus('PRD-ACCOUNTS')).approved).toBe(true);
  });

  it('reject needs a comment; a decided PRD cannot be decided again until it changes', async () => {
    await importAll('.');
    await expect(service.reject('PRD-ACCOUNTS', { by: 'ana' })).rejects.toThrow(/--comment/);
    const rejected = await service.reject('PRD-ACCOUNTS', { by: 'ana', comment: 'ACC-003 must keep invoices' });
    expect(rejected).toMatchObject({ status: 'rejected', approved: false });
    expect(rejected.reason).toContain('"ACC-003 must keep invoices"');
    const again = await service.approve('PRD-ACCOUNTS', { by: 'bob' }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(PrdActionError);
    expect((again as PrdActionError).code).toBe('invalid-state');
    editJson('stories/acc-003-v43.json', (d) => {
      d.description = 'Deleting an account keeps invoices for 10 years, as the law requires.';
    });
    const r = (await importAll('stories/acc-003-v43.json')).files[0]!;
    expect(r.voided.map((v) => v.prdId)).toEqual(['PRD-ACCOUNTS']);
    await expect(service.approve('PRD-ACCOUNTS', { by: 'bob' })).resolves.toMatchObject({ approved: true });
  });

  it('refuses to approve a PRD whose stories are missing or cannot be planned', async () => {
    await importAll('stories', 'prd-accounts.md');
    fs.writeFileSync(
      path.join(work, 'prd-accounts.md'),
      '---\nid: PRD-ACCOUNTS\ntitle: Accounts\nstories: [ACC-001, ACC-404]\n---\nText.\n',
    );
    const r = (await importAll('prd-accounts.md')).files[0]!;
    expect(r.warnings.map((w) => w.code)).toContain('missing-story');
    await expect(service.approve('PRD-ACCOUNTS', { by: 'ana' })).rejects.toThrow(/ACC-404, which is not imported/);
    // A dependency in the same wave cannot run.
    fs.writeFileSync(
      path.join(work, 'prd-accounts.md'),
      '---\nid: PRD-ACCOUNTS\ntitle: Accounts\nstories: [ACC-001, ACC-002]\n---\nText.\n',
    );
    editJson('stories/acc-002-v42.json', (d) => {
      d.wave_number = 1;
    });
    await importAll('prd-accounts.md', 'stories/acc-002-v42.json');
    await expect(service.approve('PRD-ACCOUNTS', { by: 'ana' })).rejects.toThrow(
      /ACC-002 \(wave 1\) depends on ACC-001, which is in the same wave 1/,
    );
  });

  it('reports duplicate story ids across files and imports neither', async () => {
    const report = await importer.importPaths([path.join(FIXTURES, 'duplicate-ids')], {
      projectId,
      actor: 'tester',
      cwd: FIXTURES,
    });
    expect(report.files.map((f) => [f.file, f.status])).toEqual([
      ['duplicate-ids/first.json', 'invalid'],
      ['duplicate-ids/second.json', 'invalid'],
    ]);
    expect(report.files[0]!.errors[0]!.message).toContain('duplicate-ids/second.json');
    expect(report.files[1]!.errors[0]!.message).toContain('duplicate-ids/first.json');
    expect(
      await store.db
        .select()
        .from(stories)
        .where(and(eq(stories.projectId, projectId), eq(stories.storyId, 'DUP-001'))),
    ).toEqual([]);
  });

  it('a PRD without a story list covers the stories imported with it; --prd adds stories later and voids its approval', async () => {
    fs.writeFileSync(path.join(work, 'prd-accounts.md'), '---\nid: PRD-LOOSE\ntitle: Loose\n---\nText.\n');
    fs.rmSync(path.join(work, 'stories/acc-003-v43.json'));
    await importAll('prd-accounts.md', 'stories');
    expect((await service.get('PRD-LOOSE'))!.storyIds.sort()).toEqual(['ACC-001', 'ACC-002']);
    // Re-importing the PRD alone keeps what it covers.
    expect((await importAll('prd-accounts.md')).files[0]!.status).toBe('unchanged');
    await service.approve('PRD-LOOSE', { by: 'ana' });
    fs.cpSync(path.join(FIXTURES, 'project/stories/acc-003-v43.json'), path.join(work, 'extra.json'));
    const report = await importer.importPaths(['extra.json'], {
      projectId,
      actor: 'tester',
      cwd: work,
      prdId: 'PRD-LOOSE',
    });
    expect(report.files[0]!.message).toContain('Added to PRD PRD-LOOSE');
    expect(report.files[0]!.voided).toEqual([{ prdId: 'PRD-LOOSE', reason: 'stories added: ACC-003' }]);
    const status = await service.approvalStatus('PRD-LOOSE');
    expect(status.approved).toBe(false);
    expect(status.reason).toContain('stories added: ACC-003');
  });

  it('keeps one project row per repository and refreshes its config', async () => {
    const again = await ensureProject(store, work, { targetBranch: 'develop' } as never);
    expect(again.id).toBe(projectId);
    const rows = await store.db
      .select()
      .from(projects)
      .where(eq(projects.repoPath, path.resolve(work)));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.targetBranch).toBe('develop');
  });
});
