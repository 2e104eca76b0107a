import { describe, expect, it } from 'vitest';
import { importRegionEnd, parseImports } from './tree-sitter';

/* The parser reads only the part of a file that holds its imports; every import is still found. */

const body = (n: number) =>
  Array.from({ length: n }, (_, i) => `  const v${i} = items.map((x) => x * ${i});`).join('\n');

describe('import parsing', () => {
  it('finds imports anywhere in a file: at the head, a require deep in a function, a multi-line re-export', async () => {
    const text = [
      "import { a } from './a.js';",
      'export function f(items: number[]) {',
      body(200),
      "  const lazy = require('./lazy');",
      body(200),
      "  return import('./dynamic');",
      '}',
      'export {',
      '  b,',
      "} from './b';",
      body(300),
    ].join('\n');
    const refs = await parseImports('src/x.ts', text);
    expect(refs.map((r) => r.specifier)).toEqual(['./a.js', './lazy', './dynamic', './b']);
    // Only up to the last import is parsed, not the 300 lines after it.
    expect(importRegionEnd('typescript', text)).toBe(text.indexOf("from './b';") + "from './b';\n".length);
    // Cut inside a function body (left unclosed for the parser): the require is still read.
    const cut = [
      "import { a } from './a';",
      'export function g() {',
      body(50),
      "  const c = require('./c');",
      body(50),
      '}',
    ].join('\n');
    expect(importRegionEnd('typescript', cut)).toBeLessThan(cut.length / 2 + 200);
    expect((await parseImports('src/y.ts', cut)).map((r) => r.specifier)).toEqual(['./a', './c']);
  });

  it('reads a parenthesised Python import and a Go import block to their end', async () => {
    const py = [
      'from billing import (',
      '    money,',
      '    tax,',
      ')',
      'import os',
      '',
      'def f():',
      '    return 1',
      '',
    ].join('\n');
    expect(await parseImports('b/x.py', py)).toEqual([
      { specifier: 'billing', names: ['money', 'tax'] },
      { specifier: 'os' },
    ]);
    const go = [
      'package main',
      '',
      'import (',
      '\t"fmt"',
      '\t"example.com/shop/cart"',
      ')',
      '',
      'func main() {}',
      '',
    ].join('\n');
    expect((await parseImports('cmd/main.go', go)).map((r) => r.specifier)).toEqual(['fmt', 'example.com/shop/cart']);
    expect(importRegionEnd('go', go)).toBe(go.indexOf(')\n') + 2);
  });

  it('parses nothing in a file without imports', async () => {
    expect(importRegionEnd('python', 'def f():\n    return 1\n')).toBe(0);
    expect(await parseImports('x.py', 'def f():\n    return 1\n')).toEqual([]);
  });
});
