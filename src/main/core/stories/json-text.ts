import { findNodeAtLocation, parseTree, type Node, type ParseError, type Segment } from 'jsonc-parser';
import { jsonTooDeepAt, MAX_NESTING } from './nesting';

// jsonc-parser's ParseErrorCode is an ambient const enum (unusable under isolatedModules): same values.
const ParseErrorCode = {
  InvalidSymbol: 1,
  InvalidNumberFormat: 2,
  PropertyNameExpected: 3,
  ValueExpected: 4,
  ColonExpected: 5,
  CommaExpected: 6,
  CloseBraceExpected: 7,
  CloseBracketExpected: 8,
  EndOfFileExpected: 9,
  InvalidCommentToken: 10,
  UnexpectedEndOfComment: 11,
  UnexpectedEndOfString: 12,
  UnexpectedEndOfNumber: 13,
  InvalidUnicode: 14,
  InvalidEscapeCharacter: 15,
  InvalidCharacter: 16,
} as const;

/*
 * Strict JSON parsing that keeps the syntax tree, so every later finding (schema error,
 * unknown field, duplicate key) can be reported at a line and column of the ORIGINAL text.
 */

export interface TextPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units (what editors count for BMP text). */
  column: number;
}

/** Maps character offsets of a text to line/column. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  position(offset: number): TextPosition {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo]! + 1 };
  }
}

export function escapePointerSegment(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function toPointer(path: readonly (string | number)[]): string {
  return path.map((s) => `/${escapePointerSegment(s)}`).join('');
}

/** Splits a JSON pointer into segments; numeric segments stay strings (findNodeAtLocation wants numbers for arrays, see locate). */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export interface JsonSyntaxProblem {
  offset: number;
  line: number;
  column: number;
  message: string;
  suggestion: string;
}

export type ParsedJson =
  | { ok: true; value: unknown; tree: Node; lines: LineIndex; text: string }
  | { ok: false; problem: JsonSyntaxProblem; lines: LineIndex; text: string };

const BOM = '\uFEFF';

/** Parses strict JSON (no comments, no trailing commas); a leading BOM is ignored. */
export function parseJsonText(raw: string): ParsedJson {
  const text = raw.startsWith(BOM) ? raw.slice(1) : raw;
  const lines = new LineIndex(text);
  if (text.trim() === '') {
    return {
      ok: false,
      lines,
      text,
      problem: {
        offset: 0,
        line: 1,
        column: 1,
        message: 'The file is empty.',
        suggestion: 'Write a JSON object, starting with "{".',
      },
    };
  }
  const tooDeep = jsonTooDeepAt(text);
  if (tooDeep >= 0) {
    return {
      ok: false,
      lines,
      text,
      problem: {
        offset: tooDeep,
        ...lines.position(tooDeep),
        message: `The JSON nests deeper than ${MAX_NESTING} levels of arrays and objects here; WAVE does not read files nested this deep.`,
        suggestion: 'A story nests only a few levels: check for a generated or corrupted file.',
      },
    };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length > 0 || !tree) {
    const first: ParseError =
      errors[0] ??
      ({
        error: ParseErrorCode.ValueExpected,
        offset: 0,
        length: 0,
        startLine: 0,
        startCharacter: 0,
      } as unknown as ParseError);
    return { ok: false, lines, text, problem: describeSyntaxError(text, lines, first) };
  }
  let value: unknown;
  try {
    // jsonc-parser and JSON.parse agree on valid JSON; JSON.parse is the final word on anything odd.
    value = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const offset = m ? Number(m[1]) : 0;
    const pos = lines.position(offset);
    return {
      ok: false,
      lines,
      text,
      problem: {
        offset,
        ...pos,
        message: `The file is not valid JSON: ${(e as Error).message}.`,
        suggestion: 'Fix the JSON syntax at this position.',
      },
    };
  }
  return { ok: true, value, tree, lines, text };
}

const COMMENTS = {
  message: 'JSON does not allow comments.',
  suggestion: 'Remove the comment, or put the note in a "description" field.',
};
const NUMBERS = {
  message: 'Invalid number.',
  suggestion: 'Write numbers like 3, 2.5 or 1e3 (no leading zeros, no trailing dot), or quote it if it is text.',
};
/** Syntax errors whose message and suggestion do not depend on the text around them. */
const FIXED_SYNTAX_TEXT: Partial<Record<number, { message: string; suggestion: string }>> = {
  [ParseErrorCode.InvalidCommentToken]: COMMENTS,
  [ParseErrorCode.UnexpectedEndOfComment]: COMMENTS,
  [ParseErrorCode.UnexpectedEndOfString]: {
    message: 'A string is not closed before the end of the line or file.',
    suggestion: 'Add the closing double quote.',
  },
  [ParseErrorCode.InvalidUnicode]: {
    message: 'Invalid \\u escape in a string.',
    suggestion: 'A \\u escape needs exactly four hex digits, e.g. \\u00e9.',
  },
  [ParseErrorCode.InvalidNumberFormat]: NUMBERS,
  [ParseErrorCode.UnexpectedEndOfNumber]: NUMBERS,
};

function describeSyntaxError(text: string, lines: LineIndex, err: ParseError): JsonSyntaxProblem {
  let offset = err.offset;
  let message: string;
  let suggestion: string;
  const prevChar = (() => {
    let i = err.offset - 1;
    while (i >= 0 && /\s/.test(text[i]!)) i--;
    return i >= 0 ? { ch: text[i]!, at: i } : null;
  })();
  const here = text[err.offset];
  const fixed = FIXED_SYNTAX_TEXT[err.error];
  if (fixed) return { offset, ...lines.position(offset), ...fixed };
  const token = tokenAt(text, err.offset);
  switch (err.error as number) {
    case ParseErrorCode.PropertyNameExpected:
    case ParseErrorCode.ValueExpected:
      if (prevChar?.ch === ',' && (here === '}' || here === ']')) {
        offset = prevChar.at;
        message = `Trailing comma before "${here}": JSON does not allow a comma after the last ${here === '}' ? 'property' : 'item'}.`;
        suggestion = 'Remove this comma.';
      } else if (err.offset >= text.length) {
        message = 'The file ends in the middle of the JSON document.';
        suggestion = 'The file looks truncated: restore the missing end (closing quotes, "]" and "}").';
      } else if (err.error === ParseErrorCode.PropertyNameExpected) {
        message =
          here === "'"
            ? 'Property names must use double quotes, not single quotes.'
            : `A property name in double quotes was expected, found ${show(here)}.`;
        suggestion = 'Write the key in double quotes, e.g. "title": "…".';
      } else {
        message =
          here === "'"
            ? 'Strings must use double quotes, not single quotes.'
            : `A value was expected, found ${show(here)}.`;
        suggestion =
          'Write a value here: a "string" in double quotes, a number, true, false, null, an [array] or an {object}.';
      }
      break;
    case ParseErrorCode.CommaExpected:
      message = `A comma is missing before ${token}.`;
      suggestion = 'Add a comma between the two entries.';
      break;
    case ParseErrorCode.ColonExpected:
      message = `A colon is missing after the property name, found ${token}.`;
      suggestion = 'Write the property as "name": value.';
      break;
    case ParseErrorCode.CloseBraceExpected:
    case ParseErrorCode.CloseBracketExpected: {
      const [close, what, next] =
        err.error === ParseErrorCode.CloseBraceExpected ? ['}', 'object', 'property'] : [']', 'array', 'item'];
      message =
        err.offset >= text.length
          ? `The file ends before the ${what} is closed.`
          : `A closing "${close}" was expected, found ${show(here)}.`;
      suggestion =
        err.offset >= text.length
          ? `The file looks truncated: add the missing "${close}".`
          : `Close the ${what} with "${close}" or add a comma before the next ${next}.`;
      break;
    }
    case ParseErrorCode.EndOfFileExpected:
      message = `There is more text after the end of the JSON document, starting with ${show(here)}.`;
      suggestion = 'A story file holds exactly one JSON object: remove the extra text.';
      break;
    case ParseErrorCode.InvalidEscapeCharacter: {
      const at = text.indexOf('\\', err.offset);
      if (at >= 0 && at < err.offset + Math.max(err.length, 1) + 1) offset = at;
      message = `Invalid escape sequence ${show(text.slice(offset, offset + 2))} in a string.`;
      suggestion = 'Write a literal backslash as \\\\ (for Windows paths, prefer forward slashes).';
      break;
    }
    case ParseErrorCode.InvalidCharacter: {
      for (let i = err.offset; i < err.offset + Math.max(err.length, 1) && i < text.length; i++) {
        if (text.charCodeAt(i) < 0x20) {
          offset = i;
          break;
        }
      }
      message = `A control character (${describeControl(text.charCodeAt(offset))}) appears inside a string.`;
      suggestion = 'Escape it: write a newline as \\n and a tab as \\t.';
      break;
    }
    default:
      message =
        here === undefined
          ? 'Unexpected end of the file.'
          : here === "'"
            ? 'Strings and property names must use double quotes, not single quotes.'
            : /^[A-Za-z]/.test(here)
              ? `Unexpected word ${token} outside a string: a double quote is probably missing or extra just before it.`
              : `Unexpected ${token}.`;
      suggestion =
        here === "'"
          ? 'JSON needs double quotes around strings and keys.'
          : 'Check for a missing comma or quote, a stray character, or an unquoted word (JSON needs "double quotes").';
  }
  return { offset, ...lines.position(offset), message, suggestion };
}

/** The token at an offset as a person sees it: "title" for a string, the word or character otherwise. */
function tokenAt(text: string, offset: number): string {
  if (offset >= text.length) return 'the end of the file';
  const rest = text.slice(offset, offset + 40).split(/[\r\n]/)[0]!;
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    return end > 0 ? rest.slice(0, end + 1) : `${rest}…`;
  }
  const word = /^[A-Za-z0-9_.+-]+/.exec(rest);
  return word ? `"${word[0]}"` : JSON.stringify(rest[0]);
}

function show(s: string | undefined): string {
  if (s === undefined || s === '') return 'the end of the file';
  return JSON.stringify(s);
}

function describeControl(code: number): string {
  if (code === 9) return 'a tab';
  if (code === 10) return 'a line break';
  if (code === 13) return 'a carriage return';
  return `U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** jsonc-parser wants numbers for array indices. */
function toSegments(tree: Node, pointer: string): Segment[] {
  const out: Segment[] = [];
  let node: Node | undefined = tree;
  for (const seg of fromPointer(pointer)) {
    if (node?.type === 'array' && /^\d+$/.test(seg)) {
      out.push(Number(seg));
      node = node.children?.[Number(seg)];
    } else {
      out.push(seg);
      node =
        node?.type === 'object' ? node.children?.find((p) => p.children?.[0]?.value === seg)?.children?.[1] : undefined;
    }
  }
  return out;
}

export interface Located extends TextPosition {
  /** True when the pointer itself exists; false when the position is its nearest existing parent. */
  exact: boolean;
}

/**
 * Where a pointer is in the text. `at: 'key'` points at the property name (for unknown or
 * duplicate fields); `at: 'value'` at the value. A pointer that does not exist (a missing
 * required field) resolves to its nearest existing parent's key.
 */
export function locate(tree: Node, lines: LineIndex, pointer: string, at: 'key' | 'value' = 'value'): Located {
  const segs = toSegments(tree, pointer);
  for (let n = segs.length; n >= 0; n--) {
    const node = findNodeAtLocation(tree, segs.slice(0, n));
    if (!node) continue;
    const exact = n === segs.length;
    const useKey = (at === 'key' || !exact) && node.parent?.type === 'property';
    const offset = useKey ? node.parent!.offset : node.offset;
    return { ...lines.position(offset), exact };
  }
  return { line: 1, column: 1, exact: false };
}

export interface DuplicateKey {
  pointer: string;
  key: string;
  first: TextPosition;
  second: TextPosition;
}

/** Keys that appear twice in one object: JSON readers silently keep only the last one. */
export function findDuplicateKeys(tree: Node, lines: LineIndex): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  const walk = (node: Node, path: (string | number)[]): void => {
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const prop of node.children ?? []) {
        const keyNode = prop.children?.[0];
        if (!keyNode) continue;
        const key = String(keyNode.value);
        const before = seen.get(key);
        if (before)
          out.push({
            pointer: toPointer([...path, key]),
            key,
            first: lines.position(before.offset),
            second: lines.position(prop.offset),
          });
        else seen.set(key, prop);
        const v = prop.children?.[1];
        if (v) walk(v, [...path, key]);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((c, i) => walk(c, [...path, i]));
    }
  };
  walk(tree, []);
  return out;
}
