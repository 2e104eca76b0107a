import { describe, expect, it } from 'vitest';
import { IMPORT_CHUNK_CHARS as CONTRACT_CHUNK } from '../../shared/ipc/contract';
import { GATE_IDS as CONTRACT_IDS, GATE_NAMES as CONTRACT_NAMES, StoryRunStatus } from '../../shared/ipc/views';
import { GATE_IDS, GATE_NAMES, IMPORT_CHUNK_CHARS, STORY_STATUSES } from './contract-constants';

describe("the renderer's copies of contract constants", () => {
  it('equal the contract', () => {
    expect(GATE_IDS).toEqual(CONTRACT_IDS);
    expect(GATE_NAMES).toEqual(CONTRACT_NAMES);
    expect([...STORY_STATUSES].sort()).toEqual([...StoryRunStatus.options].sort());
    expect(IMPORT_CHUNK_CHARS).toBe(CONTRACT_CHUNK);
  });
});
