import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import type { StorySchemaVersion } from '../../../shared/stories';
import story41 from '../../../../schemas/story-v4.1.schema.json';
import story42 from '../../../../schemas/story-v4.2.schema.json';
import story43 from '../../../../schemas/story-v4.3.schema.json';
import waveConfig from '../../../../schemas/wave-config.schema.json';

/*
 * The JSON Schemas in schemas/ are imported (bundled) rather than read at run time, so the
 * CLI, the packaged app and the tests all validate with exactly the files in the repository.
 */

export type JsonSchema = Record<string, unknown>;

export const STORY_SCHEMAS: Readonly<Record<StorySchemaVersion, JsonSchema>> = {
  '4.1': story41 as JsonSchema,
  '4.2': story42 as JsonSchema,
  '4.3': story43 as JsonSchema,
};

export const WAVE_CONFIG_SCHEMA: JsonSchema = waveConfig as JsonSchema;

let ajv: Ajv2020 | null = null;
const compiled = new Map<JsonSchema, ValidateFunction>();

function getAjv(): Ajv2020 {
  // strictRequired off: if/then may require a property declared in the enclosing schema.
  ajv ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
  return ajv;
}

/** Compiled validator for a schema (compiled once per process). */
export function validatorFor(schema: JsonSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = getAjv().compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

export function storyValidator(version: StorySchemaVersion): ValidateFunction {
  return validatorFor(STORY_SCHEMAS[version]);
}
