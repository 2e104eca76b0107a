import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import type { FileReport, StoryIssue } from '../../../shared/stories';
import { sha256Hex } from '../hash';
import { LineIndex, toPointer } from '../stories/json-text';
import { describeValue } from '../stories/issues';
import { MAX_NESTING, yamlTooDeepAt } from '../stories/nesting';

/** Alias expansions allowed when reading front matter (yaml's own default is 100). */
const MAX_YAML_ALIASES = 50;

/*
 * A PRD is markdown, optionally opened by YAML front matter:
 *   ---
 *   id: PRD-AUTH
 *   title: Accounts and sign-in
 *   stories: [AUTH-001, AUTH-002]
 *   ---
 * Without `stories`, the PRD covers the stories imported with it (see the importer). Without
 * `id`, the id comes from the file name. The content hash is of the exact text.
 */

export const PRD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ParsedPrd {
  id: string;
  title: string;
  /** Story ids the front matter lists; null when it lists none (they are linked at import). */
  storyIds: string[] | null;
  /** Markdown after the front matter. */
  body: string;
  frontMatter: Record<string, unknown> | null;
  /** sha256 hex of the exact text. */
  contentHash: string;
}

export interface PrdValidation extends FileReport {
  kind: 'prd';
  prd: ParsedPrd | null;
}

const OPEN = /^(\uFEFF)?---[ \t]*(\r\n|\n|\r)/;
const CLOSE = /^(---|\.\.\.)[ \t]*$/m;

export function idFromFileName(file: string): string {
  const base = path.basename(file).replace(/\.(md|markdown)$/i, '');
  const slug = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return slug || 'prd';
}

function firstHeading(markdown: string): string | null {
  const m = /^#{1,2}[ \t]+(.+?)[ \t#]*$/m.exec(markdown);
  return m ? m[1]!.trim() : null;
}

export function parsePrdText(text: string, file = '<input>'): PrdValidation {
  const lines = new LineIndex(text);
  const errors: StoryIssue[] = [];
  const warnings: StoryIssue[] = [];
  const at = (offset: number) => lines.position(offset);
  const add = (
    list: StoryIssue[],
    severity: 'error' | 'warning',
    code: string,
    pointer: string,
    offset: number,
    message: string,
    suggestion: string,
    value?: unknown,
  ) => {
    const i: StoryIssue = { severity, code, file, pointer, ...at(offset), message, suggestion };
    if (value !== undefined) i.value = value;
    list.push(i);
  };
  const fail = (): PrdValidation => ({ file, kind: 'prd', valid: false, version: null, prd: null, errors, warnings });

  let frontMatter: Record<string, unknown> | null = null;
  let body = text;
  let id: string | null = null;
  let title: string | null = null;
  let storyIds: string[] | null = null;

  const open = OPEN.exec(text);
  if (open) {
    const start = open[0].length;
    const rest = text.slice(start);
    const close = CLOSE.exec(rest);
    if (!close) {
      add(
        errors,
        'error',
        'front-matter',
        '',
        0,
        'The front matter opened by "---" on line 1 is never closed.',
        'Add a line with just "---" after the front matter.',
      );
      return fail();
    }
    const yamlText = rest.slice(0, close.index);
    body = rest.slice(close.index + close[0].length).replace(/^(\r\n|\n|\r)/, '');
    const tooDeep = yamlTooDeepAt(yamlText);
    if (tooDeep >= 0) {
      add(
        errors,
        'error',
        'yaml-depth',
        '',
        start + tooDeep,
        `The front matter nests deeper than ${MAX_NESTING} levels here; WAVE does not read front matter nested this deep.`,
        'Front matter holds a few "key: value" lines (id, title, stories): check for a generated or corrupted file.',
      );
      return fail();
    }
    const doc = parseDocument(yamlText, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      add(
        errors,
        'error',
        'yaml-syntax',
        '',
        start + (e.pos?.[0] ?? 0),
        `The front matter is not valid YAML: ${e.message.split('\n')[0]}`,
        'Fix the YAML, e.g. "id: PRD-AUTH" on its own line; quote values that contain ": " or start with "[".',
      );
      return fail();
    }
    const contents = doc.contents;
    if (contents !== null && !isMap(contents)) {
      add(
        errors,
        'error',
        'type',
        '',
        start,
        'The front matter must be a list of "key: value" lines.',
        'Write e.g. "id: PRD-AUTH", "title: …" and "stories: [AUTH-001]" on separate lines.',
      );
      return fail();
    }
    try {
      // Aliases (*a) expand into copies: a few nested ones make billions ("billion laughs").
      frontMatter = (doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {}) as Record<string, unknown>;
    } catch (e) {
      const aliases = /alias/i.test((e as Error).message);
      add(
        errors,
        'error',
        aliases ? 'yaml-aliases' : 'yaml-syntax',
        '',
        start,
        aliases
          ? `The front matter expands its YAML aliases (*name) into too many copies (more than ${MAX_YAML_ALIASES}); WAVE does not read it.`
          : `The front matter cannot be read: ${(e as Error).message.split('\n')[0]}`,
        aliases
          ? 'Write the values out instead of repeating aliases; front matter needs only id, title and stories.'
          : 'Fix the YAML, e.g. "id: PRD-AUTH" on its own line.',
      );
      return fail();
    }
    const pairOf = (key: string): Pair<YamlNode, YamlNode> | undefined =>
      isMap(contents)
        ? (contents.items as Pair<YamlNode, YamlNode>[]).find((p) => isScalar(p.key) && p.key.value === key)
        : undefined;
    const keyOffset = (key: string) => start + (pairOf(key)?.key?.range?.[0] ?? 0);
    const valueOffset = (key: string) => start + (pairOf(key)?.value?.range?.[0] ?? pairOf(key)?.key?.range?.[0] ?? 0);

    if ('id' in frontMatter) {
      const v = frontMatter.id;
      if ((typeof v === 'string' || typeof v === 'number') && PRD_ID_PATTERN.test(String(v))) id = String(v);
      else
        add(
          errors,
          'error',
          'pattern',
          '/id',
          valueOffset('id'),
          `id is ${describeValue(v)}; a PRD id is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
          `Write e.g. "id: ${idFromFileName(file)}".`,
          v,
        );
    }
    if ('title' in frontMatter) {
      const v = frontMatter.title;
      if (typeof v === 'string' && v.trim() !== '') title = v.trim();
      else
        add(
          errors,
          'error',
          'type',
          '/title',
          valueOffset('title'),
          `title is ${describeValue(v)}; it must be a non-empty text.`,
          'Write e.g. "title: Accounts and sign-in".',
          v,
        );
    }
    if ('stories' in frontMatter) {
      const v = frontMatter.stories;
      const node = pairOf('stories')?.value;
      if (!Array.isArray(v)) {
        add(
          errors,
          'error',
          'type',
          '/stories',
          valueOffset('stories'),
          `stories is ${describeValue(v)}; it must be a list of story ids.`,
          typeof v === 'string' ? `Write "stories: [${v}]".` : 'Write e.g. "stories: [AUTH-001, AUTH-002]".',
          v,
        );
      } else {
        const ids: string[] = [];
        v.forEach((item, i) => {
          const itemOffset =
            start +
            ((isSeq(node) ? (node.items[i] as YamlNode | undefined)?.range?.[0] : undefined) ??
              pairOf('stories')?.key?.range?.[0] ??
              0);
          if (typeof item !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(item)) {
            add(
              errors,
              'error',
              'type',
              toPointer(['stories', i]),
              itemOffset,
              `stories[${i}] is ${describeValue(item)}, which is not a story id.`,
              'Write the story_id of a story, e.g. AUTH-001.',
              item,
            );
          } else if (ids.includes(item)) {
            add(
              errors,
              'error',
              'duplicate-id',
              toPointer(['stories', i]),
              itemOffset,
              `${item} is listed twice in stories.`,
              `Remove the second ${item}.`,
              item,
            );
          } else ids.push(item);
        });
        storyIds = ids;
      }
    }
    if (id === null && !('id' in frontMatter)) {
      id = idFromFileName(file);
      add(
        warnings,
        'warning',
        'derived-id',
        '/id',
        keyOffset('title'),
        `The front matter has no id, so the PRD id is "${id}" (from the file name).`,
        `Add "id: ${id}" to the front matter so renaming the file keeps the same PRD.`,
      );
    }
  } else {
    id = idFromFileName(file);
    add(
      warnings,
      'warning',
      'no-front-matter',
      '',
      0,
      `The PRD has no front matter, so its id is "${id}" (from the file name) and it covers the stories imported with it.`,
      'Start the file with "---", then "id: …", "title: …", "stories: [ … ]" lines, then "---".',
    );
  }
  if (body.trim() === '')
    add(
      warnings,
      'warning',
      'empty-prd',
      '',
      text.length,
      'The PRD has no text besides its front matter; an approval would approve nothing readable.',
      'Write the requirements below the front matter.',
    );
  if (errors.length > 0 || id === null) return fail();
  title ??= firstHeading(body) ?? id;
  return {
    file,
    kind: 'prd',
    valid: true,
    version: null,
    prd: { id, title, storyIds, body, frontMatter, contentHash: sha256Hex(text) },
    errors,
    warnings,
  };
}
