export { parsePrdText, idFromFileName, type ParsedPrd, type PrdValidation } from './prd-parser';
export {
  PrdService,
  PrdNotApprovedError,
  PrdActionError,
  voidPrdDecision,
  type PrdStore,
  type PrdView,
  type DecisionInput,
} from './prd-service';
export { StoryImporter, ensureProject, type ImportOptions } from './import-service';
