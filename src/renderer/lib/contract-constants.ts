import type { IMPORT_CHUNK_CHARS as CONTRACT_IMPORT_CHUNK_CHARS } from '../../shared/ipc/contract';

// The contract's few plain constants the renderer needs as values. Importing them from
// src/shared/ipc would pull zod and every schema into the first bundle (the renderer only
// needs the types; the core validates). IMPORT_CHUNK_CHARS is a copy: the `typeof` clause
// breaks the build when it drifts in type, contract-constants.test.ts compares the value.

// Gate ids, gate names and story statuses are plain values in src/shared/status.ts (no zod).
export { GATE_IDS, GATE_NAMES, STORY_RUN_STATUSES as STORY_STATUSES } from '../../shared/status';

export const IMPORT_CHUNK_CHARS: typeof CONTRACT_IMPORT_CHUNK_CHARS = 32 * 1024;
