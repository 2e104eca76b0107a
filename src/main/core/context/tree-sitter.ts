import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TreeSitter from '@vscode/tree-sitter-wasm';
import { sourceLanguageOf } from '../../../shared/source-language';

/**
 * Import statements read by tree-sitter's WASM grammars (the builds VS Code ships, from
 * @vscode/tree-sitter-wasm): parsed, never guessed with regular expressions. One parser
 * per language, loaded once per process on first use (~60 ms for the three).
 */

export type SourceLanguage = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go';

export interface ImportRef {
  /** The module as written: "./util.js", "..pkg.mod", "example.com/m/pkg/util". */
  specifier: string;
  /** Python `from X import a, b`: the imported names (they may be modules). */
  names?: string[];
}

const PARSED: Record<string, SourceLanguage> = {
  typescript: 'typescript',
  tsx: 'tsx',
  javascript: 'javascript',
  jsx: 'javascript',
  python: 'python',
  go: 'go',
};

/** The grammar that parses a file's imports, or null for a language WAVE does not parse. */
export function languageOf(file: string): SourceLanguage | null {
  const lang = sourceLanguageOf(file);
  return lang ? (PARSED[lang] ?? null) : null;
}

const JS_QUERY = `
  (import_statement source: (string (string_fragment) @spec))
  (export_statement source: (string (string_fragment) @spec))
  (call_expression function: [(identifier) @fn (import)] arguments: (arguments . (string (string_fragment) @spec)))
`;

const QUERIES: Record<SourceLanguage, string> = {
  typescript: JS_QUERY,
  tsx: JS_QUERY,
  javascript: JS_QUERY,
  python: `
    (import_statement name: [(dotted_name) @spec (aliased_import name: (dotted_name) @spec)])
    (import_from_statement module_name: [(dotted_name) (relative_import)] @from)
  `,
  go: '(import_spec path: (interpreted_string_literal) @spec)',
};

const GRAMMAR: Record<SourceLanguage, string> = {
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  python: 'tree-sitter-python.wasm',
  go: 'tree-sitter-go.wasm',
};

interface Loaded {
  parser: TreeSitter.Parser;
  queries: Map<SourceLanguage, { language: TreeSitter.Language; query: TreeSitter.Query }>;
}

let loading: Promise<Loaded> | null = null;

function load(): Promise<Loaded> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const ts = require('@vscode/tree-sitter-wasm') as typeof TreeSitter;
    const dir = path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
    await ts.Parser.init({ locateFile: (file: string) => path.join(dir, file) });
    const queries = new Map<SourceLanguage, { language: TreeSitter.Language; query: TreeSitter.Query }>();
    for (const lang of Object.keys(GRAMMAR) as SourceLanguage[]) {
      const language = await ts.Language.load(readFileSync(path.join(dir, GRAMMAR[lang])));
      queries.set(lang, { language, query: new ts.Query(language, QUERIES[lang]) });
    }
    return { parser: new ts.Parser(), queries };
  })();
  return loading;
}

/** Loads the parsers now (they load on first use otherwise). */
export async function warmParsers(): Promise<void> {
  await load();
}

/** The imports of one source file; an empty list for a language WAVE does not parse. */
export async function parseImports(file: string, text: string): Promise<ImportRef[]> {
  const lang = languageOf(file);
  if (!lang) return [];
  const { parser, queries } = await load();
  const q = queries.get(lang)!;
  parser.setLanguage(q.language);
  const tree = parser.parse(text);
  if (!tree) return [];
  try {
    const refs: ImportRef[] = [];
    for (const match of q.query.matches(tree.rootNode)) {
      const fn = match.captures.find((c) => c.name === 'fn');
      if (fn && fn.node.text !== 'require') continue;
      for (const c of match.captures) {
        if (c.name === 'spec') refs.push({ specifier: lang === 'go' ? c.node.text.slice(1, -1) : c.node.text });
        if (c.name === 'from') {
          const stmt = c.node.parent;
          const names = (stmt?.childrenForFieldName('name') ?? []).map((n) =>
            n?.type === 'aliased_import' ? (n.childForFieldName('name')?.text ?? '') : (n?.text ?? ''),
          );
          refs.push({ specifier: c.node.text, names: names.filter(Boolean) });
        }
      }
    }
    return refs;
  } finally {
    tree.delete();
  }
}
