import type { ErrorObject } from 'ajv';
import type { Node } from 'jsonc-parser';
import type { StoryIssue } from '../../../shared/stories';
import { fromPointer, locate, toPointer, type LineIndex } from './json-text';

/*
 * Turns ajv's errors into findings a person can act on: where (pointer, line, column in the
 * original text), what is wrong with which value, and what to write instead.
 */

/** How to describe a field in a suggestion. `{min}` becomes " of N+ characters" when the schema asks for N > 1. */
export interface FieldHint {
  what: string;
}

/** Hints keyed by pointer pattern, array indices written as "*": "/acceptance_criteria/*\/description". */
export type HintTable = Readonly<Record<string, FieldHint>>;

export interface IssueContext {
  file: string;
  tree: Node;
  lines: LineIndex;
  data: unknown;
  hints: HintTable;
  /** Words naming the rules, e.g. "schema 4.3", used in messages. */
  rulesName: string;
}

export function patternOf(pointer: string): string {
  return toPointer(fromPointer(pointer).map((s) => (/^\d+$/.test(s) ? '*' : s)));
}

/** "acceptance_criteria[2].description" — how a person names a place in the document. */
export function fieldLabel(pointer: string): string {
  const segs = fromPointer(pointer);
  if (segs.length === 0) return 'the top level';
  let out = '';
  for (const s of segs) out += /^\d+$/.test(s) ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/** "at the top level" or "in objective": where a field sits, for messages about its parent. */
export function placeOf(pointer: string): string {
  const parent = pointer.slice(0, pointer.lastIndexOf('/'));
  return parent === '' ? 'at the top level' : `in ${fieldLabel(parent)}`;
}

export function valueAt(data: unknown, pointer: string): unknown {
  let cur: unknown = data;
  for (const s of fromPointer(pointer)) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[s];
    else return undefined;
  }
  return cur;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}…` : v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the whole number ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (Array.isArray(v))
    return v.length === 0 ? 'an empty list' : `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a text in double quotes',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list [ … ]',
  object: 'an object { … }',
  null: 'null',
};

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

/** Ajv keyword → how much it explains; one finding per place, the most telling one. */
const KEYWORD_RANK: Record<string, number> = {
  type: 0,
  required: 1,
  enum: 2,
  const: 2,
  minLength: 3,
  maxLength: 3,
  minItems: 3,
  maxItems: 3,
  pattern: 4,
  minimum: 4,
  maximum: 4,
  exclusiveMinimum: 4,
  exclusiveMaximum: 4,
  uniqueItems: 5,
};

function resolveRef(schema: unknown, root: unknown): Record<string, unknown> | undefined {
  let s = schema as Record<string, unknown> | undefined;
  for (let i = 0; i < 8 && s && typeof s.$ref === 'string'; i++) {
    const ref = s.$ref as string;
    if (!ref.startsWith('#/')) return undefined;
    s = valueAt(root, ref.slice(1)) as Record<string, unknown> | undefined;
  }
  return s;
}

function hintText(hint: FieldHint | undefined, min: number | undefined): string | undefined {
  if (!hint) return undefined;
  return hint.what.replace('{min}', min && min > 1 ? ` of ${min}+ characters` : '');
}

/** Closest allowed value ignoring case, spaces, dashes and underscores. */
function didYouMean(value: unknown, allowed: readonly unknown[]): unknown {
  if (typeof value !== 'string') return undefined;
  const norm = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
  return allowed.find((a) => typeof a === 'string' && norm(a) === norm(value));
}

export function ajvErrorsToIssues(
  errors: readonly ErrorObject[] | null | undefined,
  ctx: IssueContext,
  rootSchema: unknown,
): StoryIssue[] {
  const best = new Map<string, ErrorObject>();
  for (const e of errors ?? []) {
    if (e.keyword === 'if' || e.keyword === 'propertyNames' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    const pointer = pointerOf(e);
    const prev = best.get(pointer);
    if (!prev || (KEYWORD_RANK[e.keyword] ?? 9) < (KEYWORD_RANK[prev.keyword] ?? 9)) best.set(pointer, e);
  }
  // A missing or mistyped parent explains its children: keep only the outermost finding.
  const pointers = [...best.keys()];
  const out: StoryIssue[] = [];
  for (const [pointer, e] of best) {
    if (pointers.some((p) => p !== pointer && pointer.startsWith(`${p}/`) && best.get(p)!.keyword === 'type')) continue;
    out.push(toIssue(e, pointer, ctx, rootSchema));
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

function pointerOf(e: ErrorObject): string {
  if (e.keyword === 'required')
    return `${e.instancePath}/${escape((e.params as { missingProperty: string }).missingProperty)}`;
  if (e.propertyName !== undefined) return `${e.instancePath}/${escape(e.propertyName)}`;
  return e.instancePath;
}

function escape(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function toIssue(e: ErrorObject, pointer: string, ctx: IssueContext, rootSchema: unknown): StoryIssue {
  const label = fieldLabel(pointer);
  const pattern = patternOf(pointer);
  const hint = ctx.hints[pattern];
  const isKey = e.keyword === 'required' || e.propertyName !== undefined;
  const loc = locate(ctx.tree, ctx.lines, pointer, isKey ? 'key' : 'value');
  const value =
    e.keyword === 'required' ? undefined : e.propertyName !== undefined ? e.propertyName : valueAt(ctx.data, pointer);
  const p = e.params as Record<string, unknown>;
  const sch = (e.parentSchema ?? {}) as Record<string, unknown>;
  let message: string;
  let suggestion: string;
  let code = e.keyword;

  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      const propSchema = resolveRef((sch.properties as Record<string, unknown> | undefined)?.[missing], rootSchema);
      const min = typeof propSchema?.minLength === 'number' ? propSchema.minLength : undefined;
      const parent = fieldLabel(e.instancePath);
      message =
        e.instancePath === ''
          ? `Required field "${missing}" is missing.`
          : `${parent} is missing its required field "${missing}".`;
      const what = hintText(hint, min) ?? (propSchema?.type ? typeWords(propSchema.type) : 'a value');
      suggestion = `Add "${missing}": ${what}.`;
      break;
    }
    case 'type': {
      const want = p.type;
      message = `${label} must be ${typeWords(want)}, but it is ${describeValue(value)}.`;
      const wants = Array.isArray(want) ? want : [want];
      if (wants.includes('string') && (typeof value === 'number' || typeof value === 'boolean'))
        suggestion = `Put it in double quotes: "${String(value)}".`;
      else if (
        (wants.includes('integer') || wants.includes('number')) &&
        typeof value === 'string' &&
        value.trim() !== '' &&
        !Number.isNaN(Number(value))
      )
        suggestion = `Remove the quotes: ${Number(value)}.`;
      else if (wants.includes('array') && typeof value === 'string')
        suggestion = `Wrap it in a list: [${JSON.stringify(value)}].`;
      else if (wants.includes('integer') && typeof value === 'number')
        suggestion = `Use a whole number, e.g. ${Math.round(value)}.`;
      else suggestion = `Write ${hintText(hint, undefined) ?? typeWords(want)} here.`;
      break;
    }
    case 'enum':
    case 'const': {
      const allowed = (e.keyword === 'enum' ? (p.allowedValues as unknown[]) : [p.allowedValue]) ?? [];
      const list = allowed.map((a) => JSON.stringify(a)).join(', ');
      code = 'enum';
      message = `${label} is ${describeValue(value)}, which is not one of the allowed values (${ctx.rulesName}).`;
      const guess = didYouMean(value, allowed);
      suggestion = guess !== undefined ? `Write ${JSON.stringify(guess)} (allowed: ${list}).` : `Use one of: ${list}.`;
      break;
    }
    case 'minLength': {
      const limit = Number(p.limit);
      const len = typeof value === 'string' ? value.length : 0;
      if (limit <= 1) {
        message = `${label} is empty.`;
        suggestion = `Write ${hintText(hint, undefined) ?? 'a value'}.`;
      } else {
        message = `${label} is ${len} character${len === 1 ? '' : 's'} long; ${ctx.rulesName} needs at least ${limit}.`;
        suggestion = `Write ${hintText(hint, limit) ?? `at least ${limit} characters`}; it needs at least ${limit - len} more.`;
      }
      break;
    }
    case 'maxLength':
      message = `${label} is ${typeof value === 'string' ? value.length : '?'} characters long; at most ${String(p.limit)} are allowed.`;
      suggestion = `Shorten it to ${String(p.limit)} characters or fewer.`;
      break;
    case 'minItems': {
      const limit = Number(p.limit);
      message =
        limit <= 1
          ? `${label} is an empty list.`
          : `${label} has ${Array.isArray(value) ? value.length : 0} items; at least ${limit} are needed.`;
      suggestion = `Add at least ${limit} item${limit === 1 ? '' : 's'}${hint ? `: ${hintText(hint, undefined)}` : ''}.`;
      break;
    }
    case 'maxItems':
      message = `${label} has too many items; at most ${String(p.limit)} are allowed.`;
      suggestion = `Remove items until there are ${String(p.limit)} or fewer.`;
      break;
    case 'pattern':
      ({ message, suggestion } = describePattern(label, String(p.pattern), value, hint, e.propertyName !== undefined));
      break;
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const words = {
        minimum: 'at least',
        exclusiveMinimum: 'more than',
        maximum: 'at most',
        exclusiveMaximum: 'less than',
      }[e.keyword];
      message = `${label} is ${describeValue(value)}; it must be ${words} ${String(p.limit)}.`;
      suggestion = `Use a number ${words} ${String(p.limit)}.`;
      code = 'range';
      break;
    }
    case 'uniqueItems':
      message = `${label} lists the same item twice (items ${String(p.j)} and ${String(p.i)}).`;
      suggestion = `Remove the duplicate item ${JSON.stringify(Array.isArray(value) ? value[Number(p.i)] : '')}.`;
      break;
    default:
      message = `${label} ${e.message ?? 'is not valid'}.`;
      suggestion = `Check ${label} against ${ctx.rulesName}.`;
  }
  const issue: StoryIssue = {
    severity: 'error',
    code,
    file: ctx.file,
    pointer,
    line: loc.line,
    column: loc.column,
    message,
    suggestion,
  };
  if (value !== undefined) issue.value = value;
  return issue;
}

const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

function describePattern(
  label: string,
  pattern: string,
  value: unknown,
  hint: FieldHint | undefined,
  isKey: boolean,
): { message: string; suggestion: string } {
  if (pattern === '\\S')
    return {
      message: `${label} contains only spaces.`,
      suggestion: `Write ${hintText(hint, undefined) ?? 'some text'}.`,
    };
  if (pattern === ID_PATTERN)
    return {
      message: `${label} is ${describeValue(value)}; a story id may only contain letters, digits, ".", "_" and "-", starting with a letter or digit (it becomes part of a git branch name).`,
      suggestion:
        typeof value === 'string'
          ? `Write e.g. ${JSON.stringify(
              value
                .trim()
                .replace(/[^A-Za-z0-9._-]+/g, '-')
                .replace(/^[^A-Za-z0-9]+/, '') || 'STORY-001',
            )}.`
          : 'Write e.g. "AUTH-001".',
    };
  if (pattern.startsWith('^(?![\\\\/])'))
    return {
      message: `${label} is ${describeValue(value)}; file paths must be relative to the repository root and must not use "..".`,
      suggestion: 'Write the path from the repository root, e.g. "src/auth/login.ts".',
    };
  if (isKey)
    return {
      message: `The name ${JSON.stringify(value)} is not allowed here.`,
      suggestion: 'Use a name made of letters, digits, "_" and "-", starting with a letter.',
    };
  return {
    message: `${label} is ${describeValue(value)}, which does not have the expected form.`,
    suggestion: `Write ${hintText(hint, undefined) ?? `a value matching ${pattern}`}.`,
  };
}
