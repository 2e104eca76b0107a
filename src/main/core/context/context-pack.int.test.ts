import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRepo, type TestRepo } from '../../../../test/fixtures/repos/git-repo';
import { buildContextPack, ContextIndexer, renderContextPackMarkdown, writeContextPack, type PackStory } from './index';

/* Context packs over a real git repository with TypeScript, Python and Go sources. */

const FILES: Record<string, string> = {
  // TypeScript: ESM ".js" written for a ".ts" file, a folder index, require, a re-export, a test.
  'src/app/sum.ts':
    "import { check } from './validate.js';\nimport { fmt } from '../lib';\nexport const sum = (xs: number[]) => fmt(check(xs).reduce((a, b) => a + b, 0));\n",
  'src/app/validate.ts': 'export function check(xs: number[]) { return xs; }\n',
  'src/app/cli.ts': "const { sum } = require('./sum');\nconsole.log(sum([1, 2]));\n",
  'src/app/index.ts': "export * from './sum';\n",
  'src/app/sum.test.ts': "import { sum } from './sum';\nif (sum([1]) !== '1') throw new Error('x');\n",
  'src/app/report.ts':
    "import { check } from './validate.js';\nexport const big = `" + 'lorem ipsum dolor sit amet '.repeat(400) + '`;\n',
  'src/app/unrelated.ts': "import React from 'react';\nexport const other = 1;\n",
  'src/lib/index.ts': 'export const fmt = (n: number) => String(n);\n',
  'src/web/page.ts': "import { sum } from '../app/sum';\nexport const page = () => sum([1]);\n",
  // Python: absolute imports from a src root, relative imports, a package __init__.
  'py/src/billing/__init__.py': 'from .money import Money\n',
  'py/src/billing/money.py': 'import decimal\nclass Money: pass\n',
  'py/src/billing/invoice.py': 'from . import money\nfrom billing.tax import rate\nimport billing\n',
  'py/src/billing/tax.py': 'def rate(): return 0.2\n',
  'py/tests/test_invoice.py': 'from billing.invoice import *\n',
  // Go: a module with a package imported by path.
  'go/go.mod': 'module example.com/shop\n\ngo 1.22\n',
  'go/cmd/main.go':
    'package main\n\nimport (\n\t"fmt"\n\t"example.com/shop/cart"\n)\n\nfunc main() { fmt.Println(cart.Total()) }\n',
  'go/cart/cart.go': 'package cart\n\nfunc Total() int { return 1 }\n',
  'go/cart/cart_test.go': 'package cart\n',
  'assets/logo.bin': '\u0000\u0001binary\u0000',
};

const DOMAINS = {
  app: ['src/app/'],
  web: ['src/web/**'],
  billing: ['py/src/billing/**', 'py/tests/**'],
  shop: ['go/**'],
  SHARED: ['src/lib/**'],
};

let repo: TestRepo;
const indexer = new ContextIndexer();

beforeAll(() => {
  repo = createTestRepo(FILES);
});
afterAll(() => repo?.cleanup());

const story = (over: Partial<PackStory>): PackStory => ({
  story_id: 'S-1',
  domain: 'app',
  files: { create: [], modify: [] },
  ...over,
});

describe('the import graph', () => {
  it('resolves TypeScript, Python and Go imports inside the repository, and none outside it', async () => {
    const index = await indexer.index(repo.path);
    const imports = (p: string) => [...index.files.get(p)!.imports].sort();
    expect(imports('src/app/sum.ts')).toEqual(['src/app/validate.ts', 'src/lib/index.ts']);
    expect(imports('src/app/cli.ts')).toEqual(['src/app/sum.ts']);
    expect(imports('src/app/index.ts')).toEqual(['src/app/sum.ts']);
    expect(imports('src/app/report.ts')).toEqual(['src/app/validate.ts']);
    expect(imports('src/app/unrelated.ts')).toEqual([]);
    expect(imports('py/src/billing/invoice.py')).toEqual([
      'py/src/billing/__init__.py',
      'py/src/billing/money.py',
      'py/src/billing/tax.py',
    ]);
    expect(imports('py/src/billing/__init__.py')).toEqual(['py/src/billing/money.py']);
    expect(imports('py/tests/test_invoice.py')).toEqual(['py/src/billing/invoice.py']);
    expect(imports('go/cmd/main.go')).toEqual(['go/cart/cart.go']);
    expect([...index.importers.get('src/app/sum.ts')!].sort()).toEqual([
      'src/app/cli.ts',
      'src/app/index.ts',
      'src/app/sum.test.ts',
      'src/web/page.ts',
    ]);
    expect(index.files.get('assets/logo.bin')).toMatchObject({ binary: true, tokens: 0 });
    expect(index.totalTokens).toBe([...index.files.values()].reduce((s, f) => s + f.tokens, 0));
  });

  it('is cached by tree: the same tree is not indexed again, a new commit is', async () => {
    const a = await indexer.index(repo.path);
    expect(await indexer.index(repo.path)).toBe(a);
    repo.commit(
      {
        'src/app/validate.ts':
          "import { fmt } from '../lib/index.js';\nexport function check(xs: number[]) { return xs; }\n",
      },
      'validate uses fmt',
    );
    const b = await indexer.index(repo.path);
    expect(b).not.toBe(a);
    expect(b.tree).not.toBe(a.tree);
    expect(b.files.get('src/app/validate.ts')!.imports).toEqual(['src/lib/index.ts']);
    // The old tree's index is still there for a story that started from it.
    expect(indexer.cached(a.tree)).toBe(a);
  });

  it("is the commit's, not the worktree's: a file edited and not committed is read from git", async () => {
    const edited = createTestRepo(FILES);
    try {
      writeFileSync(
        join(edited.path, 'src/app/validate.ts'),
        "import { sum } from './sum';\nexport const check = 1;\n",
      );
      const index = await new ContextIndexer().index(edited.path);
      expect(index.files.get('src/app/validate.ts')!.imports).toEqual([]);
      expect(index.files.get('src/app/sum.ts')!.imports).toEqual(['src/app/validate.ts', 'src/lib/index.ts']);
      expect(index.files.get('go/cmd/main.go')!.imports).toEqual(['go/cart/cart.go']);
    } finally {
      edited.cleanup();
    }
  });
});

describe('a context pack', () => {
  it('ranks the named files, their imports and importers, their tests, then the domain and SHARED', async () => {
    const index = await indexer.index(repo.path);
    const pack = buildContextPack(index, {
      story: story({ files: { create: [], modify: ['src/app/sum.ts'] } }),
      domains: DOMAINS,
      budgetTokens: 100_000,
    });
    expect(pack.files.map((f) => [f.path, f.reason])).toEqual([
      ['src/app/sum.ts', 'named by the story'],
      ['src/app/validate.ts', 'imported by a named file'],
      ['src/lib/index.ts', 'imported by a named file'],
      ['src/app/cli.ts', 'imports a named file'],
      ['src/app/index.ts', 'imports a named file'],
      ['src/web/page.ts', 'imports a named file'],
      ['src/app/sum.test.ts', 'test of a named file'],
      // One link further: report.ts imports validate.ts, which sum.ts imports.
      ['src/app/report.ts', 'in the story domain'],
    ]);
    // A file of the domain linked to nothing the story touches is not padding in the pack.
    expect(pack.files.map((f) => f.path)).not.toContain('src/app/unrelated.ts');
    expect(pack.total_tokens).toBe(pack.files.reduce((s, f) => s + f.tokens, 0));
    expect(pack.repo_tokens).toBe(index.totalTokens);
    // Nothing from another domain that is not linked to the story.
    expect(pack.files.some((f) => f.path.startsWith('py/') || f.path.startsWith('go/'))).toBe(false);
  });

  it('cuts to the budget in rank order and lists what it left out', async () => {
    const index = await indexer.index(repo.path);
    const full = buildContextPack(index, {
      story: story({ files: { create: [], modify: ['src/app/sum.ts'] } }),
      domains: DOMAINS,
      budgetTokens: 100_000,
    });
    const big = full.files.find((f) => f.path === 'src/app/report.ts')!;
    const budget = full.total_tokens - 1;
    const cut = buildContextPack(index, {
      story: story({ files: { create: [], modify: ['src/app/sum.ts'] } }),
      domains: DOMAINS,
      budgetTokens: budget,
    });
    expect(cut.total_tokens).toBeLessThanOrEqual(budget);
    expect(cut.files.map((f) => f.path)).toEqual(full.files.map((f) => f.path).filter((p) => p !== big.path));
    expect(cut.left_out).toEqual([{ path: 'src/app/report.ts', tokens: big.tokens, reason: 'in the story domain' }]);
  });

  it('for a file to create: its folder; for Python and Go: packages, importers and tests by name', async () => {
    const index = await indexer.index(repo.path);
    const py = buildContextPack(index, {
      story: story({ domain: 'billing', files: { create: [], modify: ['py/src/billing/tax.py'] } }),
      domains: DOMAINS,
      budgetTokens: 100_000,
    });
    expect(py.files.slice(0, 2).map((f) => [f.path, f.reason])).toEqual([
      ['py/src/billing/tax.py', 'named by the story'],
      ['py/src/billing/invoice.py', 'imports a named file'],
    ]);
    expect(py.files.map((f) => f.path)).toContain('py/tests/test_invoice.py');
    const go = buildContextPack(index, {
      story: story({ domain: 'shop', files: { create: ['go/cart/discount.go'], modify: [] } }),
      domains: DOMAINS,
      budgetTokens: 100_000,
    });
    expect(go.files.map((f) => [f.path, f.reason])).toEqual([
      ['go/cart/cart.go', 'next to a file to create'],
      // main.go imports the package the new file joins; go.mod, the package's test and SHARED
      // are linked to nothing in the pack and left for the agent to open.
      ['go/cmd/main.go', 'in the story domain'],
    ]);
    // A story that touches no existing file gets its whole domain and SHARED, for orientation.
    const fresh = buildContextPack(index, {
      story: story({ domain: 'web', files: { create: ['src/web/new/panel.ts'], modify: [] } }),
      domains: DOMAINS,
      budgetTokens: 100_000,
    });
    expect(fresh.files.map((f) => [f.path, f.reason])).toEqual([
      ['src/web/page.ts', 'in the story domain'],
      ['src/lib/index.ts', 'shared'],
    ]);
  });

  it('is handed over as JSON under .wave/ that git never commits, with a markdown rendering', async () => {
    const index = await indexer.index(repo.path);
    const pack = buildContextPack(index, {
      story: story({ files: { create: [], modify: ['src/app/sum.ts'] } }),
      domains: DOMAINS,
      budgetTokens: 2_000,
    });
    const file = writeContextPack(repo.path, pack, 'gate-2');
    expect(file).toBe(join(repo.path, '.wave', 'context', 'S-1-gate-2.json'));
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['files', 'total_tokens', 'budget_tokens', 'repo_tokens']),
    );
    expect(json.files[0]).toEqual({ path: 'src/app/sum.ts', tokens: expect.any(Number), reason: 'named by the story' });
    expect(json.budget_tokens).toBe(2_000);
    repo.git(['add', '--all']);
    expect(repo.git(['status', '--porcelain'])).not.toContain('.wave');
    const md = renderContextPackMarkdown(pack);
    expect(md).toContain('## Context for S-1');
    expect(md).toContain('- `src/app/sum.ts`');
  });
});
