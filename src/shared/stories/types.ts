/*
 * Story documents and validation reports, as plain types shared by the core, the CLI and
 * the renderer. The JSON Schemas in schemas/ are the authority on what is valid; these types
 * describe what a valid document looks like to code that reads it.
 */

export const STORY_SCHEMA_VERSIONS = ['4.1', '4.2', '4.3'] as const;
export type StorySchemaVersion = (typeof STORY_SCHEMA_VERSIONS)[number];

export interface StoryObjective {
  as_a: string;
  i_want: string;
  so_that: string;
}

export interface AcceptanceCriterion {
  id: string;
  description: string;
  ears_format?: string;
  test_approach?: string;
  status?: string;
}

export interface StoryFiles {
  create: string[];
  modify: string[];
  delete?: string[];
  forbidden?: string[];
  read_only?: string[];
  [key: string]: unknown;
}

export interface StoryExecution {
  max_retries?: number;
  timeout_minutes?: number;
  model_tier?: string;
  checkpoint_frequency?: 'per_gate' | 'per_subtask';
}

export interface StorySubtask {
  id: string;
  title: string;
  status: string;
}

/** A story document of any supported version (fields of later versions are optional). */
export interface StoryDocument {
  $schema?: string;
  schema_version?: string;
  story_id: string;
  title: string;
  type?: string;
  domain: string;
  agent?: string;
  wave_number: number;
  priority: string;
  status: string;
  story_points?: number;
  description?: string;
  dependencies?: string[];
  objective: StoryObjective;
  acceptance_criteria: AcceptanceCriterion[];
  files: StoryFiles;
  safety: { stop_conditions: string[]; escalation_triggers?: string[]; [key: string]: unknown };
  design_source?: {
    type: string;
    path: string;
    components?: string[];
    interactions?: string[];
    responsive?: boolean | { breakpoints?: string[] };
    accessibility?: string | { wcag_level?: 'A' | 'AA' | 'AAA'; requirements?: string[] };
  };
  context?: {
    read_files?: string[];
    code_examples?: Array<string | { path?: string; description?: string }>;
    similar_implementations?: string[];
  };
  execution?: StoryExecution;
  subtasks?: StorySubtask[];
  enterprise?: {
    compliance?: string[];
    approvals_required?: number | string[];
    modification_history?: Array<Record<string, string>>;
  };
  output?: { files_created?: string[]; files_modified?: string[]; tests_passing?: boolean | number };
  /** Commands run at the acceptance gate: argv arrays (preferred) or strings. */
  validation?: { commands?: Array<string | string[]> };
  [key: string]: unknown;
}

export type IssueSeverity = 'error' | 'warning';

/**
 * One thing wrong (error) or suspicious (warning) in a file. `line`/`column` are 1-based and
 * point into the file's original text; `pointer` is the RFC 6901 JSON pointer ("" = whole document).
 */
export interface StoryIssue {
  severity: IssueSeverity;
  /** Stable machine code, e.g. "required", "type", "json-syntax", "unknown-field", "duplicate-story-id". */
  code: string;
  file: string;
  pointer: string;
  line: number;
  column: number;
  message: string;
  suggestion: string;
  /** The offending value, when there is one (absent for a missing field or a syntax error). */
  value?: unknown;
}

export type ValidatedFileKind = 'story' | 'prd' | 'config';

export interface FileReport {
  file: string;
  kind: ValidatedFileKind;
  valid: boolean;
  /** Story schema version the file was validated against; null for PRDs, configs and unreadable files. */
  version: StorySchemaVersion | null;
  errors: StoryIssue[];
  warnings: StoryIssue[];
}

/** Execution settings with the schema defaults applied. */
export interface EffectiveExecution {
  max_retries: number;
  timeout_minutes: number;
  model_tier: string | null;
  checkpoint_frequency: 'per_gate' | 'per_subtask';
}

export const EXECUTION_DEFAULTS = {
  max_retries: 3,
  timeout_minutes: 60,
  checkpoint_frequency: 'per_gate',
} as const satisfies Omit<EffectiveExecution, 'model_tier'>;
