import { describe, expect, it } from 'vitest';
import { ok, err } from '../../../shared/ipc/result';
import { splitForUpload, uploadAndImport, type ImportApi } from './upload';

describe('import upload', () => {
  it('splits text into pieces that rejoin exactly and fit the request cap', () => {
    const text = `${'"quoted" ✓ '.repeat(20_000)}😀end`;
    const pieces = splitForUpload(text, 32 * 1024, 56 * 1024);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(32 * 1024);
      expect(new TextEncoder().encode(JSON.stringify(p)).length).toBeLessThanOrEqual(56 * 1024);
    }
  });

  it('never cuts a surrogate pair', () => {
    const pieces = splitForUpload('a😀b', 2, 1000);
    expect(pieces).toEqual(['a', '😀', 'b']);
  });

  it('stages every piece in order, waits out rate limits, then commits', async () => {
    const staged: Array<{ file: string; offset: number; last: boolean }> = [];
    let limited = 1;
    const api: ImportApi = {
      async stage(p) {
        if (limited-- > 0) return err('rate_limited', 'slow down');
        staged.push({ file: p.file, offset: p.offset, last: p.last });
        return ok({ received: p.offset + p.data.length });
      },
      async commit(p) {
        expect(p.migrate).toBe(true);
        return ok({ results: [] });
      },
    };
    const file = (name: string, text: string) => ({ name, file: new File([text], name) });
    await uploadAndImport(api, [file('a.json', 'x'.repeat(40_000)), file('prd.md', '# PRD')], { migrate: true });
    expect(staged).toEqual([
      { file: 'a.json', offset: 0, last: false },
      { file: 'a.json', offset: 32 * 1024, last: true },
      { file: 'prd.md', offset: 0, last: true },
    ]);
  });
});
