import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer rules (docs/architecture.md#layers) are only worth something if the linter really refuses a
// violation; these lint virtual files placed in each layer.
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer boundaries', () => {
  it('refuses node:fs in the renderer', async () => {
    const msgs = await ruleIds(
      'src/renderer/features/bad.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    );
    expect(msgs.join('\n')).toMatch(/no-restricted-imports.*sandboxed/);
  });

  it('refuses electron in the core', async () => {
    const msgs = await ruleIds('src/main/core/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(msgs.join('\n')).toMatch(/no-restricted-imports.*electron/);
  });

  it('refuses node built-ins and electron in src/shared', async () => {
    expect(
      (await ruleIds('src/shared/bad.ts', "import os from 'node:os';\nexport const x = os;\n")).join('\n'),
    ).toMatch(/src\/shared is pure/);
    expect(
      (
        await ruleIds('src/shared/bad2.ts', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n")
      ).join('\n'),
    ).toMatch(/electron/);
  });

  it('refuses renderer imports of main-process code', async () => {
    const msgs = await ruleIds(
      'src/renderer/bad.ts',
      "import { AppCore } from '../main/core/app-core';\nexport const x = AppCore;\n",
    );
    expect(msgs.join('\n')).toMatch(/typed API/);
  });

  it('refuses SQL, store internals and the raw db handle outside src/main/store', async () => {
    const drizzle = await ruleIds(
      'src/main/core/api/bad.ts',
      "import { eq } from 'drizzle-orm';\nexport const x = eq;\n",
    );
    expect(drizzle.join('\n')).toMatch(/no-restricted-imports.*repository in src\/main\/store\/repos/);
    const internals = await ruleIds(
      'src/main/cli/commands/bad.ts',
      "import { openStore } from '../../store/store';\nexport const x = openStore;\n",
    );
    expect(internals.join('\n')).toMatch(/no-restricted-imports.*through src\/main\/store/);
    const raw = await ruleIds(
      'src/main/core/prd/bad.ts',
      'export async function f(store: { db: { execute(q: string): Promise<unknown> } }) {\n  return store.db.execute("delete from sessions");\n}\n',
    );
    expect(raw.join('\n')).toMatch(/no-restricted-syntax.*raw database handle/);
    const repo = await ruleIds(
      'src/main/store/repos/ok.ts',
      "import { eq } from 'drizzle-orm';\nexport const x = eq;\n",
    );
    expect(repo.filter((m) => m.startsWith('no-restricted'))).toEqual([]);
  });

  it('allows electron in the shell files', async () => {
    const msgs = await ruleIds('src/main/electron/ok.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(msgs.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });
});
