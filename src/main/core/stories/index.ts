export { MAX_STORY_FILE_BYTES, validateStoryText, type StoryValidation } from './validate-story';
export {
  validatePaths,
  validateText,
  validateInputFile,
  markDuplicateStoryIds,
  stripPayload,
  type AnyValidation,
  type ValidatedFile,
  type ValidationRun,
} from './validate-files';
export {
  migrateStoryText,
  migrateStoryFile,
  migratedFileName,
  type StoryMigration,
  type MigrationWrite,
} from './migrate';
export {
  collectInputFiles,
  readInputFile,
  displayPath,
  type InputFile,
  type InputKind,
  type CollectedInputs,
} from './story-files';
export { sha256Hex, canonicalJson, storyContentHash } from './hash';
export { STORY_SCHEMAS, WAVE_CONFIG_SCHEMA, storyValidator } from './schemas';
export { parseJsonText, LineIndex, locate, toPointer, fromPointer } from './json-text';
