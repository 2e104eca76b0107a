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
let loaded: Loaded | null = null;

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
    loaded = { parser: new ts.Parser(), queries };
    return loaded;
  })();
  return loading;
}

/** Loads the parsers now (they load on first use otherwise). */
export async function warmParsers(): Promise<void> {
  await load();
}

/**
 * Where an import can start: a superset found by a plain text scan, so that the parser reads
 * only the part of a file that holds its imports (the head of most files) instead of all of
 * it. A keyword inside a comment or a string only makes the parsed part longer.
 */
const IMPORT_START: Record<SourceLanguage, RegExp> = {
  typescript: /\bimport\b|\brequire\s*\(|\bfrom\s*['"]/g,
  tsx: /\bimport\b|\brequire\s*\(|\bfrom\s*['"]/g,
  javascript: /\bimport\b|\brequire\s*\(|\bfrom\s*['"]/g,
  python: /^[ \t]*(?:import|from)\b/gm,
  go: /\bimport\b/g,
};

/**
 * The length of the part of `text` to parse: up to the end of the line where the statement
 * that holds the last import keyword ends (brackets closed, no line continuation). The parser
 * recovers from the cut (an unclosed function body after a `require`) and still reads every
 * import before it. The whole text when no keyword is found after which a statement ends.
 */
export function importRegionEnd(lang: SourceLanguage, text: string): number {
  const re = IMPORT_START[lang];
  re.lastIndex = 0;
  let last = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m.index;
  if (last < 0) return 0;
  let depth = 0;
  for (let i = last; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123)
      depth++; // ( [ {
    else if (c === 41 || c === 93 || c === 125)
      depth--; // ) ] }
    else if (c === 10 && depth <= 0 && text.charCodeAt(i - 1) !== 92) return i + 1; // a newline not after "\\"
  }
  return text.length;
}

/** The imports of one source file; an empty list for a language WAVE does not parse. */
export async function parseImports(file: string, text: string): Promise<ImportRef[]> {
  await load();
  return parseImportsLoaded(file, text);
}

/** parseImports once the parsers are loaded (after `warmParsers`), without waiting: for a stream of files. */
export function parseImportsLoaded(file: string, text: string): ImportRef[] {
  const lang = languageOf(file);
  if (!lang) return [];
  const end = importRegionEnd(lang, text);
  if (end === 0) return [];
  if (!loaded) throw new Error('parseImportsLoaded before warmParsers()');
  const { parser, queries } = loaded;
  const q = queries.get(lang)!;
  parser.setLanguage(q.language);
  const tree = parser.parse(end === text.length ? text : text.slice(0, end));
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
