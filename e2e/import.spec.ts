import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from './support/fixtures';
import { dropFiles } from './support/drop';
import { createGitProject, prdMarkdown, storyJson } from './support/project';
import { openView, ready, setProject } from './support/steps';

const fixtures = path.resolve('test/fixtures/stories');

test.describe('import', () => {
  test('without a project the drop is refused with a one-click way to Settings, and nothing is imported', async ({
    fresh,
  }) => {
    const page = fresh.page;
    await ready(page);
    await openView(page, 'Import');
    await expect(page.getByTestId('import-no-project')).toContainText('No project is set');
    await dropFiles(page, page.getByTestId('drop-zone'), [
      { name: 'math-1.json', text: storyJson({ id: 'MATH-1', title: 'Add two numbers' }) },
    ]);
    const error = page.getByTestId('import-error');
    await expect(error).toContainText('No project is set');
    await expect(error).toContainText('Settings');
    await page.getByTestId('import-open-settings').click();
    await expect(page.getByTestId('settings-form')).toBeVisible();
    await openView(page, 'PRD');
    await expect(page.getByRole('heading', { name: 'No PRD imported' })).toBeVisible();
  });

  test('dropped stories and a PRD are validated per file; an invalid file is explained with line and column and nothing of it is imported', async ({
    fresh,
  }, testInfo) => {
    const page = fresh.page;
    const project = createGitProject();
    try {
      await ready(page);
      await setProject(page, project.dir);
      await openView(page, 'Import');
      const broken = '{\n  "story_id": "MATH-9",\n  "title": "Broken"\n  "wave_number": 1\n}\n';
      const wrongType = storyJson({ id: 'MATH-8', title: 'Square a number' }).replace(
        '"wave_number": 1',
        '"wave_number": "one"',
      );
      await dropFiles(page, page.getByTestId('drop-zone'), [
        {
          name: 'prd-math.md',
          text: prdMarkdown({ id: 'PRD-MATH', title: 'Arithmetic', stories: ['MATH-1', 'MATH-2'] }),
        },
        { name: 'math-1.json', text: storyJson({ id: 'MATH-1', title: 'Add two numbers' }) },
        {
          name: 'math-2.json',
          text: storyJson({ id: 'MATH-2', title: 'Divide two numbers', wave: 2, dependencies: ['MATH-1'] }),
        },
        { name: 'math-9.json', text: broken },
        { name: 'math-8.json', text: wrongType },
        { name: 'notes.txt', text: 'not a story' },
      ]);
      const results = page.getByTestId('import-results');
      await expect(results).toBeVisible();
      const row = (file: string) => page.locator(`[data-testid="import-result"][data-file="${file}"]`);
      await expect(row('prd-math.md')).toHaveAttribute('data-outcome', 'imported');
      await expect(row('math-1.json')).toContainText('✓ imported');
      await expect(row('math-2.json')).toContainText('✓ imported');
      // A JSON syntax error: located by line and column, with what to do.
      const syntax = row('math-9.json');
      await expect(syntax).toContainText('✕ invalid');
      await expect(syntax).toContainText('Nothing from this file was imported');
      await expect(syntax.getByTestId('import-problem').first()).toContainText(/line 4:\d+/);
      // A schema error: located by JSON pointer and line.
      const schema = row('math-8.json');
      await expect(schema).toContainText('✕ invalid');
      await expect(schema.getByTestId('import-problem').first()).toContainText('/wave_number');
      await expect(schema.getByTestId('import-problem').first()).toContainText(/line \d+:\d+/);
      await expect(page.getByTestId('import-ignored')).toContainText('notes.txt');
      await page.screenshot({ path: testInfo.outputPath('import-results.png'), fullPage: true });

      // The PRD lists only what was imported: MATH-8 and MATH-9 are not there.
      await openView(page, 'PRD');
      await expect(page.getByTestId('prd-waves')).toContainText('MATH-1');
      await expect(page.getByTestId('prd-waves')).toContainText('MATH-2');
      await expect(page.getByTestId('prd-waves')).not.toContainText('MATH-8');

      // Dropping the same files again: unchanged.
      await openView(page, 'Import');
      await dropFiles(page, page.getByTestId('drop-zone'), [
        { name: 'math-1.json', text: storyJson({ id: 'MATH-1', title: 'Add two numbers' }) },
      ]);
      await expect(row('math-1.json')).toContainText('↺ unchanged');
    } finally {
      project.cleanup();
    }
  });

  test('an older story can be migrated to 4.3 in one click, and a folder is imported through the folder picker', async ({
    fresh,
  }) => {
    const page = fresh.page;
    const project = createGitProject();
    try {
      await ready(page);
      await setProject(page, project.dir);
      await openView(page, 'Import');
      const v41 = readFileSync(path.join(fixtures, 'project/stories/acc-001-v41.json'), 'utf8');
      await page
        .getByTestId('file-input')
        .setInputFiles([{ name: 'acc-001-v41.json', mimeType: 'application/json', buffer: Buffer.from(v41) }]);
      const row = page.locator('[data-testid="import-result"][data-file="acc-001-v41.json"]');
      await expect(row).toContainText('v4.1');
      await row.getByTestId('migrate').click();
      await expect(row).toContainText('v4.3');
      await expect(row.getByTestId('import-note').first()).toContainText('Migrated from 4.1');
      await expect(row.getByTestId('migrate')).toHaveCount(0);

      // A folder (with a sub-folder and a file that is not a story) through the folder picker.
      const folder = path.join(project.dir, '..', 'backlog');
      mkdirSync(path.join(folder, 'wave-2'), { recursive: true });
      writeFileSync(path.join(folder, 'math-3.json'), storyJson({ id: 'MATH-3', title: 'Multiply two numbers' }));
      writeFileSync(
        path.join(folder, 'wave-2', 'math-4.json'),
        storyJson({ id: 'MATH-4', title: 'Raise to a power', wave: 2 }),
      );
      writeFileSync(path.join(folder, 'draft.txt'), 'ideas');
      await page.getByTestId('folder-input').setInputFiles(folder);
      await expect(page.locator('[data-testid="import-result"][data-file="backlog/math-3.json"]')).toContainText(
        '✓ imported',
      );
      await expect(page.locator('[data-testid="import-result"][data-file="backlog/wave-2/math-4.json"]')).toContainText(
        '✓ imported',
      );
      await expect(page.getByTestId('import-ignored')).toContainText('draft.txt');
    } finally {
      project.cleanup();
    }
  });

  test('files dropped anywhere on the window are imported', async ({ fresh }) => {
    const page = fresh.page;
    const project = createGitProject();
    try {
      await ready(page);
      await setProject(page, project.dir);
      await openView(page, 'Waves');
      await dropFiles(page, page.getByRole('main'), [
        { name: 'math-5.json', text: storyJson({ id: 'MATH-5', title: 'Subtract two numbers' }) },
      ]);
      await expect(page.getByRole('main', { name: 'Import' })).toBeVisible();
      await expect(page.locator('[data-testid="import-result"][data-file="math-5.json"]')).toContainText('✓ imported');
    } finally {
      project.cleanup();
    }
  });
});
