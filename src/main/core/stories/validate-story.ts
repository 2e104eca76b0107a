import type { Node } from 'jsonc-parser';
import {
  chooseStoryVersion,
  detectStoryVersion,
  isStorySchemaVersion,
  presetStoryField,
  PRESET_STORY_FIELDS,
  STORY_SCHEMA_VERSIONS,
  V43_DESIGN_SOURCE_FIELDS,
  V43_ONLY_FIELDS,
  type FileReport,
  type StoryDocument,
  type StoryIssue,
  type StorySchemaVersion,
} from '../../../shared/stories';
import { STORY_HINTS } from './hints';
import { ajvErrorsToIssues, describeValue, placeOf, valueAt } from './issues';
import { findDuplicateKeys, locate, parseJsonText, toPointer, type LineIndex } from './json-text';
import { STORY_SCHEMAS, storyValidator } from './schemas';
import { closestName, findUnknownFields } from './unknown-fields';

/** Story, PRD and config files larger than this are refused before they are parsed. */
export const MAX_STORY_FILE_BYTES = 1024 * 1024;

export interface StoryValidation extends FileReport {
  kind: 'story';
  /** The parsed document when it is valid, else null. */
  story: StoryDocument | null;
  /** story_id when the document has a readable one (even if otherwise invalid), for duplicate detection. */
  storyId: string | null;
}

function issue(
  file: string,
  code: string,
  pointer: string,
  pos: { line: number; column: number },
  message: string,
  suggestion: string,
  value?: unknown,
  severity: 'error' | 'warning' = 'error',
): StoryIssue {
  const i: StoryIssue = { severity, code, file, pointer, line: pos.line, column: pos.column, message, suggestion };
  if (value !== undefined) i.value = value;
  return i;
}

/** A report for a file that could not be read or is too large. */
export function unreadableStoryReport(
  file: string,
  message: string,
  suggestion: string,
  code = 'unreadable',
): StoryValidation {
  return rejectedStoryReport(file, issue(file, code, '', { line: 1, column: 1 }, message, suggestion));
}

/** A report for a file refused as a whole (unreadable, not JSON, not an object): one error, no story. */
function rejectedStoryReport(file: string, error: StoryIssue): StoryValidation {
  return {
    file,
    kind: 'story',
    valid: false,
    version: null,
    story: null,
    storyId: null,
    errors: [error],
    warnings: [],
  };
}

export function tooLargeMessage(bytes: number): { message: string; suggestion: string } {
  return {
    message: `The file is ${(bytes / 1024 / 1024).toFixed(1)} MB; files over 1 MB are refused.`,
    suggestion: 'A story is a few kilobytes: check that this is the right file, or split it into one file per story.',
  };
}

/**
 * Validates the text of one story file. Never throws for any input: every problem becomes an
 * issue with a pointer, a line and a column in `text`.
 */
export function validateStoryText(text: string, file = '<input>'): StoryValidation {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_STORY_FILE_BYTES) {
    const { message, suggestion } = tooLargeMessage(bytes);
    return unreadableStoryReport(file, message, suggestion, 'too-large');
  }
  const parsed = parseJsonText(text);
  if (!parsed.ok) {
    const p = parsed.problem;
    return rejectedStoryReport(file, issue(file, 'json-syntax', '', p, p.message, p.suggestion));
  }
  const { value, tree, lines } = parsed;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return rejectedStoryReport(
      file,
      issue(
        file,
        'type',
        '',
        { line: 1, column: 1 },
        `A story file must hold one JSON object, but this one holds ${describeValue(value)}.`,
        Array.isArray(value)
          ? 'Put each story in its own file, as an object { "story_id": …, … }.'
          : 'Write the story as an object: { "story_id": "AUTH-001", … }.',
        value,
      ),
    );
  }
  const doc = value as Record<string, unknown>;
  const storyId = typeof doc.story_id === 'string' && doc.story_id.trim() !== '' ? doc.story_id : null;
  const errors: StoryIssue[] = [];
  const warnings: StoryIssue[] = [];

  const decision = chooseStoryVersion(doc);
  const version = decision.version;
  let subject: Record<string, unknown> = doc;
  if ('schema_version' in doc && !isStorySchemaVersion(doc.schema_version)) {
    // Checked here rather than by the schema's enum, which would only name the one version it is for.
    const sv = doc.schema_version;
    const detected = detectStoryVersion(doc);
    const asString = typeof sv === 'number' ? String(sv) : null;
    errors.push(
      issue(
        file,
        typeof sv === 'string' ? 'enum' : 'type',
        '/schema_version',
        locate(tree, lines, '/schema_version'),
        typeof sv === 'string'
          ? `schema_version is ${JSON.stringify(sv)}; WAVE knows ${STORY_SCHEMA_VERSIONS.map((v) => `"${v}"`).join(', ')}. The rest of the file was checked as ${detected} (from its fields).`
          : `schema_version must be a text such as "4.3", but it is ${describeValue(sv)}.`,
        asString && isStorySchemaVersion(asString)
          ? `Put it in double quotes: "${asString}".`
          : `Write "${detected}" (what the fields of this story match), or remove schema_version to let WAVE detect it.`,
        sv,
      ),
    );
    subject = { ...doc };
    delete subject.schema_version;
  }

  const validate = storyValidator(version);
  const rulesName = `schema ${version}`;
  if (!validate(subject)) {
    errors.push(
      ...ajvErrorsToIssues(
        validate.errors,
        { file, tree, lines, data: doc, hints: STORY_HINTS, rulesName },
        STORY_SCHEMAS[version],
      ),
    );
  }
  errors.push(...semanticErrors(doc, file, tree, lines));
  for (const d of findDuplicateKeys(tree, lines)) {
    errors.push(
      issue(
        file,
        'duplicate-key',
        d.pointer,
        d.second,
        `"${d.key}" appears twice ${placeOf(d.pointer)} (first at line ${d.first.line}); JSON readers keep only the second one, so the first is silently ignored.`,
        `Remove one of the two "${d.key}" entries.`,
      ),
    );
  }

  if (decision.note) {
    warnings.push(
      issue(
        file,
        'version-mismatch',
        '/schema_version',
        locate(tree, lines, '/schema_version'),
        `This story ${decision.note}.`,
        'Set "schema_version": "4.3" (or run wave validate --migrate).',
        doc.schema_version,
        'warning',
      ),
    );
  }
  warnings.push(...unknownFieldWarnings(doc, version, file, tree, lines));

  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  const valid = errors.length === 0;
  return {
    file,
    kind: 'story',
    valid,
    version,
    story: valid ? (doc as StoryDocument) : null,
    storyId,
    errors,
    warnings,
  };
}

function unknownFieldWarnings(
  doc: Record<string, unknown>,
  version: StorySchemaVersion,
  file: string,
  tree: Node,
  lines: LineIndex,
): StoryIssue[] {
  const later43 = new Set<string>([
    ...V43_ONLY_FIELDS.map((f) => `/${f}`),
    ...V43_DESIGN_SOURCE_FIELDS.map((f) => `/design_source/${f}`),
  ]);
  // A top-level field an agent preset reads (e.g. the scripted agent's test_agent) is known.
  const unknown = findUnknownFields(STORY_SCHEMAS[version], doc).filter(
    (u) => !(u.pointer === `/${u.key}` && presetStoryField(u.key)),
  );
  return unknown.map((u) => {
    const pos = locate(tree, lines, u.pointer, 'key');
    let message = `Unknown field "${u.key}" ${placeOf(u.pointer)}: WAVE ignores it.`;
    let suggestion: string;
    if (version !== '4.3' && later43.has(u.pointer)) {
      message = `"${u.key}" is a schema 4.3 field, but this story is checked as ${version}, so it is ignored.`;
      suggestion = 'Set "schema_version": "4.3" (wave validate --migrate does it and keeps every field).';
    } else if (version === '4.1' && u.pointer === '/design_source') {
      message = `"design_source" is a schema 4.2 field, but this story says it is 4.1, so it is ignored.`;
      suggestion = 'Set "schema_version": "4.2", or "4.3" with wave validate --migrate.';
    } else {
      const guess = closestName(
        u.key,
        u.pointer === `/${u.key}` ? [...u.known, ...Object.keys(PRESET_STORY_FIELDS)] : u.known,
      );
      suggestion = guess
        ? `Did you mean "${guess}"? Rename it, or remove it if it is not needed.`
        : 'Remove it if it is not needed; keeping it is harmless.';
    }
    return issue(file, 'unknown-field', u.pointer, pos, message, suggestion, valueAt(doc, u.pointer), 'warning');
  });
}

/** Rules JSON Schema cannot say: ids unique inside the story, no self-dependency. */
function semanticErrors(doc: Record<string, unknown>, file: string, tree: Node, lines: LineIndex): StoryIssue[] {
  const out: StoryIssue[] = [];
  const uniqueIds = (listKey: string, what: string) => {
    const list = doc[listKey];
    if (!Array.isArray(list)) return;
    const seen = new Map<string, number>();
    list.forEach((item, i) => {
      const id = item && typeof item === 'object' ? (item as Record<string, unknown>).id : undefined;
      if (typeof id !== 'string') return;
      const first = seen.get(id);
      if (first !== undefined) {
        const pointer = toPointer([listKey, i, 'id']);
        out.push(
          issue(
            file,
            'duplicate-id',
            pointer,
            locate(tree, lines, pointer),
            `${what} id "${id}" is used twice (${listKey}[${first}] and ${listKey}[${i}]).`,
            `Give ${listKey}[${i}] its own id, e.g. "${id}-b".`,
            id,
          ),
        );
      } else seen.set(id, i);
    });
  };
  uniqueIds('acceptance_criteria', 'Acceptance criterion');
  uniqueIds('subtasks', 'Subtask');
  if (Array.isArray(doc.dependencies) && typeof doc.story_id === 'string') {
    const i = doc.dependencies.indexOf(doc.story_id);
    if (i >= 0) {
      const pointer = toPointer(['dependencies', i]);
      out.push(
        issue(
          file,
          'self-dependency',
          pointer,
          locate(tree, lines, pointer),
          `${doc.story_id} lists itself as a dependency; it could never start.`,
          `Remove "${doc.story_id}" from dependencies.`,
          doc.story_id,
        ),
      );
    }
  }
  return out;
}
