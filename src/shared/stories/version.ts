import { EXECUTION_DEFAULTS, STORY_SCHEMA_VERSIONS, type EffectiveExecution, type StorySchemaVersion } from './types';

/** Top-level fields whose presence marks a story as 4.3 when it does not say its version. */
export const V43_MARKER_FIELDS = ['context', 'execution', 'subtasks', 'enterprise'] as const;
/** Every top-level field 4.3 added (markers plus output and validation). */
export const V43_ONLY_FIELDS = ['context', 'execution', 'subtasks', 'enterprise', 'output', 'validation'] as const;
/** design_source sub-fields 4.3 added. */
export const V43_DESIGN_SOURCE_FIELDS = ['components', 'interactions', 'responsive', 'accessibility'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isStorySchemaVersion(v: unknown): v is StorySchemaVersion {
  return typeof v === 'string' && (STORY_SCHEMA_VERSIONS as readonly string[]).includes(v);
}

/**
 * Version a story's fields imply, ignoring `schema_version`: any of context, execution,
 * subtasks, enterprise → 4.3; design_source → 4.2; otherwise 4.1.
 */
export function detectStoryVersion(doc: unknown): StorySchemaVersion {
  if (!isRecord(doc)) return '4.1';
  if (V43_MARKER_FIELDS.some((k) => k in doc)) return '4.3';
  if ('design_source' in doc) return '4.2';
  return '4.1';
}

/** The 4.3-only fields a document uses (top-level, plus design_source's 4.3 additions as "design_source.x"). */
export function v43FieldsUsed(doc: unknown): string[] {
  if (!isRecord(doc)) return [];
  const used: string[] = V43_ONLY_FIELDS.filter((k) => k in doc);
  const ds = doc.design_source;
  if (isRecord(ds)) for (const k of V43_DESIGN_SOURCE_FIELDS) if (k in ds) used.push(`design_source.${k}`);
  return used;
}

export interface VersionDecision {
  /** Schema the document is validated against. */
  version: StorySchemaVersion;
  /** What the document says, when it says a known version. */
  declared: StorySchemaVersion | null;
  /** Why `version` differs from `declared`, in words (null when they agree or nothing was declared). */
  note: string | null;
}

/**
 * Chooses the schema to validate a story against. The declared version wins, with one
 * exception the format defines: 4.3 accepts stories that say "4.2", so a "4.2" story that
 * uses 4.3 fields is validated by the 4.3 rules (including the 10-character minimums) rather
 * than having those fields ignored as unknown. An absent or unknown version is detected.
 */
export function chooseStoryVersion(doc: unknown): VersionDecision {
  const declaredRaw = isRecord(doc) ? doc.schema_version : undefined;
  const detected = detectStoryVersion(doc);
  if (!isStorySchemaVersion(declaredRaw)) return { version: detected, declared: null, note: null };
  if (declaredRaw === '4.2') {
    const extra = v43FieldsUsed(doc);
    if (extra.length > 0) {
      return {
        version: '4.3',
        declared: '4.2',
        note: `says schema_version "4.2" but uses 4.3 fields (${extra.join(', ')}), so it was checked against the 4.3 rules`,
      };
    }
  }
  return { version: declaredRaw, declared: declaredRaw, note: null };
}

/** A story's execution settings with the 4.3 defaults filled in (works on any version). */
export function effectiveExecution(
  doc: unknown,
  projectDefaults?: { max_retries?: number; timeout_minutes?: number },
): EffectiveExecution {
  const e = isRecord(doc) && isRecord(doc.execution) ? doc.execution : {};
  const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  return {
    max_retries: int(e.max_retries) ?? projectDefaults?.max_retries ?? EXECUTION_DEFAULTS.max_retries,
    timeout_minutes: int(e.timeout_minutes) ?? projectDefaults?.timeout_minutes ?? EXECUTION_DEFAULTS.timeout_minutes,
    model_tier: typeof e.model_tier === 'string' ? e.model_tier : null,
    checkpoint_frequency:
      e.checkpoint_frequency === 'per_subtask' ? 'per_subtask' : EXECUTION_DEFAULTS.checkpoint_frequency,
  };
}
