export { ContextIndexer, type IndexedFile, type RepoIndex } from './repo-index';
export {
  buildContextPack,
  isTestFile,
  PACK_REASONS,
  type ContextPack,
  type ContextPackFile,
  type PackReason,
  type PackRequest,
  type PackStory,
} from './pack';
export { renderContextPackMarkdown, writeContextPack } from './pack-file';
export { countTokens, TOKENIZER } from './tokens';
export { warmParsers } from './tree-sitter';
