import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteTestStore, type TestStore } from '../../../../test/helpers/pglite';
import { ALIAS_BOMB_PRD, deepDashPrd, deepFlowPrd, deepStory } from '../../../../test/helpers/hostile-inputs';
import { ensureProject, StoryImporter } from './import-service';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures/stories');

// One hostile file in a folder is refused on its own, at a line and column; the rest imports.
describe('a folder with hostile files', () => {
  let t: TestStore;
  let repo: string;

  beforeAll(async () => {
    t = await openPgliteTestStore();
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'wave-hostile-repo-'));
    fs.cpSync(path.join(FIXTURES, 'project'), repo, { recursive: true });
    const dir = path.join(repo, 'stories');
    fs.writeFileSync(path.join(dir, 'deep.json'), deepStory());
    fs.writeFileSync(path.join(dir, 'bomb.md'), ALIAS_BOMB_PRD);
    fs.writeFileSync(path.join(dir, 'deep-prd.md'), deepFlowPrd());
    fs.writeFileSync(path.join(dir, 'dashes.md'), deepDashPrd());
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it('refuses each of them with a located error and imports every good file', async () => {
    const project = await ensureProject(t.store, repo);
    const report = await new StoryImporter(t.store).importPaths(['.'], {
      projectId: project.id,
      actor: 't',
      cwd: repo,
    });
    // The fixture project alone imports 4 files and has 1 invalid one.
    expect(report.summary).toMatchObject({ imported: 4, invalid: 5 });
    const byFile = new Map(report.files.map((f) => [path.basename(f.file), f]));
    const deep = byFile.get('deep.json')!;
    expect(deep.status).toBe('invalid');
    expect(deep.errors[0]).toMatchObject({ line: 3, message: expect.stringMatching(/nests deeper than 64 levels/) });
    expect(deep.errors[0]!.column).toBeGreaterThan(60);
    expect(byFile.get('bomb.md')!.errors[0]).toMatchObject({
      code: 'yaml-aliases',
      line: 2,
      message: expect.stringMatching(/aliases/),
    });
    expect(byFile.get('deep-prd.md')!.errors[0]).toMatchObject({ code: 'yaml-depth', line: 3 });
    expect(byFile.get('dashes.md')!.errors[0]).toMatchObject({ code: 'yaml-depth', line: 4 });
  });
});
