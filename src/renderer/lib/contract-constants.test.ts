import { describe, expect, it } from 'vitest';
import { IMPORT_CHUNK_CHARS as CONTRACT_CHUNK } from '../../shared/ipc/contract';
import { IMPORT_CHUNK_CHARS } from './contract-constants';

describe("the renderer's copy of the import chunk size", () => {
  it('equals the contract', () => {
    expect(IMPORT_CHUNK_CHARS).toBe(CONTRACT_CHUNK);
  });
});
