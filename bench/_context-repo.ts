/*
 * A generated repository for the context bench: 5 domains (TypeScript web and API, Python
 * billing and analytics, a Go ingest module) plus SHARED TypeScript and Python, with real
 * import graphs (barrels, ESM ".js" specifiers, absolute and relative Python imports, Go
 * package imports), tests beside or under each domain, and stories that each name files to
 * modify or create in one domain. The generator writes the imports itself, so it knows, for
 * each story, the files it actually needs (held list): the named files, their direct imports
 * and importers, their tests, and for a file to create the siblings it will use. The same
 * seed gives the same repository.
 */
import path from 'node:path';
import type { PackStory } from '../src/main/core/context';

type Lang = 'ts' | 'tsx' | 'py' | 'go';

interface Module {
  path: string;
  lang: Lang;
  domain: string;
  folder: string;
  /** Exported symbol names. */
  exports: string[];
  /** Files this one imports (for Go: every non-test file of the imported package). */
  imports: Module[];
  /** Barrel/__init__/test files are not chosen as a story's file to modify. */
  kind: 'module' | 'barrel' | 'test';
  /** The test of a module. */
  test?: Module;
  content: string;
}

export interface BenchStory {
  story: PackStory;
  /** Files the story actually needs (held list, from the generator's own graph). */
  needs: string[];
}

export interface GeneratedRepo {
  files: Record<string, string>;
  domains: Record<string, string[]>;
  stories: BenchStory[];
}

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const NOUNS = [
  'account',
  'invoice',
  'ledger',
  'session',
  'cart',
  'order',
  'report',
  'metric',
  'event',
  'queue',
  'token',
  'user',
  'profile',
  'price',
  'tax',
  'refund',
  'batch',
  'schema',
  'cache',
  'route',
  'widget',
  'chart',
  'filter',
  'table',
  'form',
  'modal',
  'search',
  'export',
  'audit',
  'record',
  'payment',
  'discount',
  'currency',
  'window',
  'bucket',
  'sample',
  'cursor',
  'journal',
  'quota',
  'tenant',
];
const VERBS = [
  'load',
  'save',
  'parse',
  'format',
  'compute',
  'validate',
  'merge',
  'split',
  'render',
  'fetch',
  'apply',
  'build',
];
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

interface DomainSpec {
  name: string;
  lang: 'ts' | 'py' | 'go';
  root: string;
  folders: string[];
  modulesPerFolder: [number, number];
  tests: number;
  /** ESM ".js" specifiers (TypeScript NodeNext). */
  esm?: boolean;
  tsx?: string[];
}

const domainSpec = (
  name: string,
  lang: DomainSpec['lang'],
  root: string,
  folders: string,
  modulesPerFolder: [number, number],
  more: Partial<DomainSpec> = {},
): DomainSpec => ({
  name,
  lang,
  root,
  folders: folders.split(' '),
  modulesPerFolder,
  tests: lang === 'ts' ? 0.35 : 0.4,
  ...more,
});

const DOMAIN_SPECS: DomainSpec[] = [
  domainSpec('web', 'ts', 'web/src', 'components pages hooks state forms', [9, 12], {
    tsx: ['components', 'pages', 'forms'],
  }),
  domainSpec('api', 'ts', 'api/src', 'routes services db middleware jobs', [9, 12], { esm: true }),
  domainSpec('billing', 'py', 'services/billing/billing', 'models invoices tax payments', [10, 13]),
  domainSpec('analytics', 'py', 'services/analytics/analytics', 'pipeline metrics storage reports', [10, 13]),
  domainSpec('ingest', 'go', 'ingest', 'parse queue store transform sink', [4, 6]),
];

const GO_MODULE = 'example.com/ingest';

function relSpec(from: string, to: string, esm: boolean): string {
  let rel = path.posix.relative(path.posix.dirname(from), to).replace(/\.(tsx?)$/, '');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  // ESM (NodeNext) writes the emitted ".js" name; bundler-style imports name a folder for its index.
  if (esm) return `${rel}.js`;
  return rel.endsWith('/index') && rel !== './index' ? rel.slice(0, -'/index'.length) : rel;
}

function pyModuleName(file: string): string {
  // services/billing/billing/tax/rates.py → billing.tax.rates; shared/py/common/log.py → common.log
  const parts = file.replace(/\.py$/, '').split('/');
  return parts
    .slice(2)
    .filter((p) => p !== '__init__')
    .join('.');
}

/** A function body of plausible code that calls the imported symbols. */
function tsBody(r: Rng, name: string, calls: string[]): string {
  const lines = [`export function ${name}(input: ${cap(name)}Input): ${cap(name)}Result {`];
  lines.push('  const started = Date.now();', '  const items = input.items.filter((item) => item.weight > 0);');
  for (const c of calls)
    lines.push(`  const ${c}Value = ${c}({ items, limit: input.limit ?? ${r.int(5, 500)} } as never);`);
  const n = r.int(3, 9);
  for (let i = 0; i < n; i++)
    lines.push(
      r.pick([
        `  if (items.length > ${r.int(2, 90)}) items.splice(${r.int(1, 40)});`,
        `  const step${i} = items.reduce((sum, item) => sum + item.weight * ${r.int(2, 9)}, 0);`,
        `  for (const item of items) item.label = \`\${item.label}-${r.pick(NOUNS)}\`;`,
        `  if (input.strict && items.some((item) => !item.label)) throw new Error('${name}: missing label');`,
        `  const seen${i} = new Map<string, number>(items.map((item) => [item.label, item.weight]));`,
      ]),
    );
  lines.push(
    `  return { items, total: items.length, tookMs: Date.now() - started${calls.length ? `, extra: [${calls.map((c) => `${c}Value`).join(', ')}]` : ''} };`,
    '}',
  );
  return lines.join('\n');
}

function tsTypes(name: string): string {
  return [
    `export interface ${cap(name)}Input {`,
    '  items: Array<{ label: string; weight: number }>;',
    '  limit?: number;',
    '  strict?: boolean;',
    '}',
    `export interface ${cap(name)}Result {`,
    '  items: Array<{ label: string; weight: number }>;',
    '  total: number;',
    '  tookMs: number;',
    '  extra?: unknown[];',
    '}',
  ].join('\n');
}

function pyBody(r: Rng, name: string, calls: string[]): string {
  const lines = [
    `def ${name}(items, limit=${r.int(5, 500)}, strict=False):`,
    `    """${cap(name.replace(/_/g, ' '))} over the given items."""`,
  ];
  lines.push('    kept = [item for item in items if item.get("weight", 0) > 0]');
  for (const c of calls) lines.push(`    ${c.split('.').pop()}_value = ${c}(kept, limit=limit)`);
  const n = r.int(3, 9);
  for (let i = 0; i < n; i++)
    lines.push(
      r.pick([
        `    if len(kept) > ${r.int(2, 90)}:\n        kept = kept[:${r.int(1, 40)}]`,
        `    step_${i} = sum(item["weight"] * ${r.int(2, 9)} for item in kept)`,
        `    for item in kept:\n        item["label"] = f"{item.get('label', '')}-${r.pick(NOUNS)}"`,
        `    if strict and any(not item.get("label") for item in kept):\n        raise ValueError("${name}: missing label")`,
        `    seen_${i} = {item["label"]: item["weight"] for item in kept if "label" in item}`,
      ]),
    );
  lines.push(
    `    return {"items": kept, "total": len(kept)${calls.length ? `, "extra": [${calls.map((c) => `${c.split('.').pop()}_value`).join(', ')}]` : ''}}`,
  );
  return lines.join('\n');
}

function goBody(r: Rng, name: string, calls: string[]): string {
  const lines = [
    `// ${name} works over the given items.`,
    `func ${name}(items []Item, limit int) Result {`,
    '\tkept := make([]Item, 0, len(items))',
  ];
  lines.push('\tfor _, it := range items {', '\t\tif it.Weight > 0 {', '\t\t\tkept = append(kept, it)', '\t\t}', '\t}');
  for (const c of calls) lines.push(`\t_ = ${c}(nil, limit)`);
  const n = r.int(3, 8);
  for (let i = 0; i < n; i++)
    lines.push(
      r.pick([
        `\tif len(kept) > ${r.int(2, 90)} {\n\t\tkept = kept[:${r.int(1, 40)}]\n\t}`,
        `\tstep${i} := 0\n\tfor _, it := range kept {\n\t\tstep${i} += it.Weight * ${r.int(2, 9)}\n\t}\n\t_ = step${i}`,
        `\tfor i := range kept {\n\t\tkept[i].Label = fmt.Sprintf("%s-${r.pick(NOUNS)}", kept[i].Label)\n\t}`,
      ]),
    );
  lines.push('\treturn Result{Items: kept, Total: len(kept)}', '}');
  return lines.join('\n');
}

/** Generates the repository and its stories. */
export function generateContextRepo(seed = 20261205): GeneratedRepo {
  const r = rng(seed);
  const all: Module[] = [];
  const used = new Set<string>();
  const uniqueNoun = (folder: string) => {
    for (;;) {
      const n = `${r.pick(NOUNS)}${r.chance(0.5) ? cap(r.pick(NOUNS)) : ''}`;
      if (!used.has(`${folder}/${n}`)) {
        used.add(`${folder}/${n}`);
        return n;
      }
    }
  };

  // SHARED: TypeScript utilities and a Python `common` package, imported across domains.
  const sharedTs: Module[] = [];
  for (let i = 0; i < 16; i++) {
    const noun = uniqueNoun('shared/ts');
    const file = `shared/ts/${noun.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.ts`;
    sharedTs.push({
      path: file,
      lang: 'ts',
      domain: 'SHARED',
      folder: 'shared/ts',
      exports: [`${r.pick(VERBS)}${cap(noun)}`],
      imports: [],
      kind: 'module',
      content: '',
    });
  }
  const sharedPy: Module[] = [];
  for (let i = 0; i < 10; i++) {
    const noun = snake(uniqueNoun('shared/py'));
    sharedPy.push({
      path: `shared/py/common/${noun}.py`,
      lang: 'py',
      domain: 'SHARED',
      folder: 'shared/py/common',
      exports: [`${r.pick(VERBS)}_${noun}`],
      imports: [],
      kind: 'module',
      content: '',
    });
  }
  all.push(...sharedTs, ...sharedPy);

  const byDomain = new Map<string, Module[]>();
  for (const spec of DOMAIN_SPECS) {
    const mods: Module[] = [];
    const folders = new Map<string, Module[]>();
    for (const folder of spec.folders) {
      const dir = `${spec.root}/${folder}`;
      const list: Module[] = [];
      const count = r.int(...spec.modulesPerFolder);
      for (let i = 0; i < count; i++) {
        const noun = uniqueNoun(dir);
        let file: string;
        let lang: Lang = spec.lang;
        let exports: string[];
        if (spec.lang === 'ts') {
          const tsx = spec.tsx?.includes(folder) ?? false;
          lang = tsx ? 'tsx' : 'ts';
          file = `${dir}/${tsx ? cap(noun) : noun.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.${lang}`;
          exports = Array.from({ length: r.int(1, 3) }, (_, k) => `${VERBS[(i + k) % VERBS.length]}${cap(noun)}`);
        } else if (spec.lang === 'py') {
          file = `${dir}/${snake(noun)}.py`;
          exports = Array.from({ length: r.int(1, 3) }, (_, k) => `${VERBS[(i + k) % VERBS.length]}_${snake(noun)}`);
        } else {
          file = `${dir}/${snake(noun)}.go`;
          exports = Array.from({ length: r.int(1, 2) }, (_, k) => `${cap(VERBS[(i + k) % VERBS.length]!)}${cap(noun)}`);
        }
        list.push({
          path: file,
          lang,
          domain: spec.name,
          folder: dir,
          exports: [...new Set(exports)],
          imports: [],
          kind: 'module',
          content: '',
        });
      }
      folders.set(folder, list);
      mods.push(...list);
    }
    // Imports: earlier modules only (a DAG), mostly the same folder, sometimes another
    // folder's module or barrel, often a SHARED module.
    const barrels = new Map<string, Module>();
    if (spec.lang !== 'go')
      for (const folder of spec.folders) {
        const dir = `${spec.root}/${folder}`;
        const barrel: Module = {
          path: spec.lang === 'ts' ? `${dir}/index.ts` : `${dir}/__init__.py`,
          lang: spec.lang,
          domain: spec.name,
          folder: dir,
          exports: [],
          imports: spec.lang === 'ts' || r.chance(0.5) ? [...folders.get(folder)!] : [],
          kind: 'barrel',
          content: '',
        };
        barrel.exports = barrel.imports.flatMap((m) => m.exports);
        barrels.set(folder, barrel);
      }
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i]!;
      const earlierSame = mods.slice(0, i).filter((x) => x.folder === m.folder);
      const earlierOther = mods.slice(0, i).filter((x) => x.folder !== m.folder);
      const targets = new Set<Module>();
      const n = r.int(0, 3);
      for (let k = 0; k < n; k++) {
        if (earlierSame.length && (r.chance(0.65) || !earlierOther.length)) targets.add(r.pick(earlierSame));
        else if (earlierOther.length) {
          const o = r.pick(earlierOther);
          const b = barrels.get(o.folder.slice(spec.root.length + 1));
          // Another folder: through its barrel half the time (TypeScript), else the module itself.
          if (spec.lang === 'go') targets.add(o);
          else targets.add(b && b.imports.includes(o) && r.chance(0.5) && b.folder !== m.folder ? b : o);
        }
      }
      if (spec.lang === 'ts' && r.chance(0.5)) targets.add(r.pick(sharedTs));
      if (spec.lang === 'py' && r.chance(0.4)) targets.add(r.pick(sharedPy));
      m.imports = [...targets];
    }
    if (spec.lang === 'go') {
      // Go imports packages: a file that imports one module's package imports all its files.
      const pkgFiles = (dir: string) => mods.filter((x) => x.folder === dir);
      for (const m of mods) {
        const pkgs = new Set(m.imports.map((x) => x.folder).filter((d) => d !== m.folder));
        m.imports = [...pkgs].flatMap(pkgFiles);
      }
      // A break in the DAG is fine for Go files of one package; across packages there is none
      // because imports only go to earlier modules and packages are laid out in order.
    }
    for (const b of barrels.values()) mods.push(b);
    // Tests.
    for (const m of [...mods]) {
      if (m.kind !== 'module' || !r.chance(spec.tests)) continue;
      let file: string;
      if (spec.lang === 'ts') file = m.path.replace(/\.(tsx?)$/, '.test.$1');
      else if (spec.lang === 'py') {
        const testsDir = `${spec.root.replace(/\/[^/]+$/, '')}/tests`;
        file = `${testsDir}/test_${path.posix.basename(m.path)}`;
        if (used.has(file)) file = `${testsDir}/test_${path.posix.basename(m.folder)}_${path.posix.basename(m.path)}`;
        used.add(file);
      } else file = m.path.replace(/\.go$/, '_test.go');
      const t: Module = {
        path: file,
        lang: m.lang,
        domain: spec.name,
        folder: path.posix.dirname(file),
        exports: [],
        imports: spec.lang === 'go' ? [] : [m],
        kind: 'test',
        content: '',
      };
      m.test = t;
      mods.push(t);
    }
    byDomain.set(spec.name, mods);
    all.push(...mods);
  }

  // Contents.
  const specOf = (m: Module) => DOMAIN_SPECS.find((s) => s.name === m.domain);
  for (const m of all) m.content = render(r, m, specOf(m));

  const files: Record<string, string> = {};
  for (const m of all) files[m.path] = m.content;
  files['ingest/go.mod'] = `module ${GO_MODULE}\n\ngo 1.22\n`;
  files['package.json'] =
    `${JSON.stringify({ name: 'bench-monorepo', private: true, workspaces: ['web', 'api', 'shared/ts'] }, null, 2)}\n`;
  files['README.md'] = '# Bench monorepo\n\nGenerated for `npm run bench -- context`.\n';
  for (const spec of DOMAIN_SPECS)
    files[
      `${spec.root
        .split('/')
        .slice(0, spec.lang === 'py' ? 2 : 1)
        .join('/')}/README.md`
    ] =
      `# ${spec.name}\n\n${Array.from({ length: 30 }, () => `The ${r.pick(NOUNS)} ${r.pick(VERBS)}s every ${r.pick(NOUNS)}.`).join(' ')}\n`;
  files['services/billing/pyproject.toml'] = '[project]\nname = "billing"\nversion = "0.1.0"\n';
  files['services/analytics/pyproject.toml'] = '[project]\nname = "analytics"\nversion = "0.1.0"\n';

  const domains: Record<string, string[]> = {
    web: ['web/**'],
    api: ['api/**'],
    billing: ['services/billing/**'],
    analytics: ['services/analytics/**'],
    ingest: ['ingest/**'],
    SHARED: ['shared/**', 'package.json'],
  };

  // Importers, for the held lists.
  const importers = new Map<Module, Module[]>();
  for (const m of all) for (const i of m.imports) importers.set(i, [...(importers.get(i) ?? []), m]);

  const stories: BenchStory[] = [];
  let n = 0;
  for (const spec of DOMAIN_SPECS) {
    const mods = byDomain.get(spec.name)!.filter((m) => m.kind === 'module');
    for (let s = 0; s < 6; s++) {
      const first = r.pick(mods);
      const modify = new Set<Module>([first]);
      // A second file, linked to the first, in half the stories.
      const linked = [...first.imports, ...(importers.get(first) ?? [])].filter(
        (x) => x.kind === 'module' && x.domain === spec.name,
      );
      if (linked.length && r.chance(0.5)) modify.add(r.pick(linked));
      const needs = new Set<string>();
      for (const m of modify) {
        needs.add(m.path);
        for (const i of m.imports) needs.add(i.path);
        for (const i of importers.get(m) ?? []) needs.add(i.path);
        if (m.test) needs.add(m.test.path);
      }
      const create: string[] = [];
      if (s % 2 === 0) {
        // A new module beside the first, using two of its siblings and exported by the folder's barrel.
        const siblings = mods.filter((x) => x.folder === first.folder && x !== first);
        const ext = first.lang === 'tsx' ? 'tsx' : first.lang;
        const newFile = `${first.folder}/${spec.lang === 'ts' ? 'new' : 'new_'}${cap(r.pick(NOUNS))}${n}.${ext}`;
        create.push(newFile);
        for (let k = 0; k < 2 && siblings.length; k++) needs.add(r.pick(siblings).path);
        const barrel = byDomain.get(spec.name)!.find((x) => x.kind === 'barrel' && x.folder === first.folder);
        if (barrel) needs.add(barrel.path);
      }
      stories.push({
        story: {
          story_id: `CTX-${String(++n).padStart(2, '0')}`,
          domain: spec.name,
          files: { create, modify: [...modify].map((m) => m.path) },
        },
        needs: [...needs].sort(),
      });
    }
  }
  return { files, domains, stories };
}

function render(r: Rng, m: Module, spec: DomainSpec | undefined): string {
  const doc = `${cap(r.pick(NOUNS))} ${r.pick(VERBS)} for the ${r.pick(NOUNS)} ${r.pick(NOUNS)}s.`;
  if (m.lang === 'ts' || m.lang === 'tsx') {
    const esm = spec?.esm ?? false;
    const out: string[] = [];
    if (m.kind === 'barrel')
      return `${m.imports.map((i) => `export * from '${relSpec(m.path, i.path, esm)}';`).join('\n')}\n`;
    if (m.lang === 'tsx') out.push("import { useMemo } from 'react';");
    const calls: string[] = [];
    for (const i of m.imports) {
      const names = i.exports.slice(0, 2);
      out.push(`import { ${names.join(', ')} } from '${relSpec(m.path, i.path, esm)}';`);
      calls.push(...names.slice(0, 1));
    }
    if (m.kind === 'test') {
      out.unshift("import { describe, expect, it } from 'vitest';");
      out.push('', `describe('${m.imports[0]!.exports[0]}', () => {`);
      for (const e of m.imports[0]!.exports)
        out.push(
          `  it('${e} keeps weighted items', () => {`,
          `    const r = ${e}({ items: [{ label: 'a', weight: 1 }] });`,
          '    expect(r.total).toBe(1);',
          '  });',
        );
      out.push('});');
      return `${out.join('\n')}\n`;
    }
    out.push('', `/** ${doc} */`);
    for (const e of m.exports) out.push('', tsTypes(e), '', tsBody(r, e, calls));
    if (m.lang === 'tsx')
      out.push(
        '',
        `export function ${cap(m.exports[0]!)}View(props: { items: ${cap(m.exports[0]!)}Input['items'] }) {`,
        `  const result = useMemo(() => ${m.exports[0]}({ items: props.items }), [props.items]);`,
        '  return <ul>{result.items.map((item) => <li key={item.label}>{item.label}</li>)}</ul>;',
        '}',
      );
    return `${out.join('\n')}\n`;
  }
  if (m.lang === 'py') {
    const out: string[] = [`"""${doc}"""`, 'from __future__ import annotations', ''];
    if (m.kind === 'barrel')
      return `${m.imports.map((i) => `from .${path.posix.basename(i.path, '.py')} import ${i.exports.join(', ')}`).join('\n')}\n`;
    const calls: string[] = [];
    for (const i of m.imports) {
      if (i.kind === 'barrel') {
        const pkg = pyModuleName(i.path);
        out.push(`import ${pkg}`);
        calls.push(`${pkg}.${i.exports[0]}`);
      } else if (i.folder === m.folder && r.chance(0.5)) {
        out.push(`from . import ${path.posix.basename(i.path, '.py')}`);
        calls.push(`${path.posix.basename(i.path, '.py')}.${i.exports[0]}`);
      } else if (i.folder === m.folder) {
        out.push(`from .${path.posix.basename(i.path, '.py')} import ${i.exports[0]}`);
        calls.push(i.exports[0]!);
      } else {
        out.push(`from ${pyModuleName(i.path)} import ${i.exports[0]}`);
        calls.push(i.exports[0]!);
      }
    }
    if (r.chance(0.5)) out.push('import logging');
    if (m.kind === 'test') {
      out.push('', '');
      for (const e of m.imports[0]!.exports)
        out.push(
          `def test_${e}_keeps_weighted_items():`,
          `    assert ${e}([{"label": "a", "weight": 1}])["total"] == 1`,
          '',
          '',
        );
      return `${out.join('\n').trimEnd()}\n`;
    }
    for (const e of m.exports) out.push('', '', pyBody(r, e, calls));
    return `${out.join('\n')}\n`;
  }
  // Go
  const pkg = path.posix.basename(m.folder);
  const imported = [...new Set(m.imports.map((i) => i.folder))];
  const out = [`// Package ${pkg}: ${doc}`, `package ${pkg}`, '', 'import (', '\t"fmt"'];
  for (const d of imported) out.push(`\t"${GO_MODULE}/${d.slice('ingest/'.length)}"`);
  out.push(
    ')',
    '',
    '// Item is one weighted entry.',
    `type Item = struct{ Label string; Weight int }`,
    '',
    `type Result = struct{ Items []Item; Total int }`,
  );
  if (m.kind === 'test') {
    out.splice(3, 0);
    return `package ${pkg}\n\nimport "testing"\n\nfunc Test${cap(pkg)}${m.path.length}(t *testing.T) {\n\tif 1 != 1 {\n\t\tt.Fatal("x")\n\t}\n}\n`;
  }
  const calls = imported.map((d) => {
    const target = m.imports.find((i) => i.folder === d)!;
    return `${path.posix.basename(d)}.${target.exports[0]}`;
  });
  for (const e of m.exports) out.push('', goBody(r, e, calls));
  return `${out.join('\n')}\n`;
}
