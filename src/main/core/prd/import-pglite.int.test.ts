import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../store';
import { openPgliteTestStore, type TestStore } from '../../../../test/helpers/pglite';
import { ensureProject, StoryImporter } from './import-service';
import { PrdService } from './prd-service';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/stories');

// The same import and approval path on the embedded database (the desktop default).
describe('import and approval on embedded PGlite', () => {
  let repo: string;
  let test: TestStore;
  let store: Store;

  beforeAll(async () => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-pglite-repo-'));
    fs.cpSync(path.join(FIXTURES, 'project'), repo, { recursive: true });
    // A copy of the migrated template: the store's own open path, without initdb.
    test = await openPgliteTestStore({ log: () => undefined });
    store = test.store;
  }, 120_000);
  afterAll(async () => {
    await test?.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('imports, approves, and voids the approval when a story changes', async () => {
    const project = await ensureProject(store, repo);
    const importer = new StoryImporter(store);
    const prd = new PrdService(store);
    const first = await importer.importPaths(['.'], { projectId: project.id, actor: 't', cwd: repo });
    expect(first.summary).toMatchObject({ imported: 4, invalid: 1 });
    await prd.approve('PRD-ACCOUNTS', { by: 'ana' });
    await expect(prd.assertApproved('PRD-ACCOUNTS')).resolves.toMatchObject({ approved: true });
    expect((await importer.importPaths(['.'], { projectId: project.id, actor: 't', cwd: repo })).summary).toMatchObject(
      { unchanged: 4 },
    );

    const file = path.join(repo, 'stories/acc-003-v43.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"wave_number": 2', '"wave_number": 3'));
    const r = await importer.importPaths(['stories/acc-003-v43.json'], {
      projectId: project.id,
      actor: 't',
      cwd: repo,
    });
    expect(r.files[0]!.voided.map((v) => v.reason)).toEqual([
      'story ACC-003 changed wave_number (re-imported from stories/acc-003-v43.json)',
    ]);
    await expect(prd.assertApproved('PRD-ACCOUNTS')).rejects.toThrow(/is void: story ACC-003 changed wave_number/);
  });
});
