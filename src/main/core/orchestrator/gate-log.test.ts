import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GateLogFollower, readLogChunk } from './gate-log';

const dir = mkdtempSync(join(tmpdir(), 'wave-gate-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gate logs', () => {
  it('reads the tail or a piece from an offset, never cutting a character in two', () => {
    const file = join(dir, 'a.log');
    writeFileSync(file, 'héllo wörld\n');
    const all = readLogChunk(file, 0, 1000);
    expect(all).toEqual({ text: 'héllo wörld\n', offset: 0, nextOffset: Buffer.byteLength('héllo wörld\n') });
    // 2 bytes ends inside "é": only "h" is returned, and the next read starts at "é".
    const first = readLogChunk(file, 0, 2);
    expect(first).toEqual({ text: 'h', offset: 0, nextOffset: 1 });
    expect(readLogChunk(file, first.nextOffset, 2).text).toBe('é');
    // The tail starting inside a character skips to the next one.
    const size = Buffer.byteLength('héllo wörld\n');
    expect(readLogChunk(file, undefined, 7)).toEqual({ text: 'wörld\n', offset: size - 7, nextOffset: size });
    expect(readLogChunk(file, undefined, 5)).toEqual({ text: 'rld\n', offset: size - 4, nextOffset: size });
    expect(readLogChunk(join(dir, 'missing.log'), undefined)).toEqual({ text: '', offset: 0, nextOffset: 0 });
  });

  it('streams what is appended after following starts', async () => {
    const file = join(dir, 'b.log');
    writeFileSync(file, 'before\n');
    const got: Array<[number, number, string]> = [];
    const f = new GateLogFollower((id, offset, text) => got.push([id, offset, text]), 50);
    const following = f.follow(7, file);
    appendFileSync(file, 'line 1\n');
    appendFileSync(file, 'line 2\n');
    await vi.waitFor(() => expect(got.map((g) => g[2]).join('')).toBe('line 1\nline 2\n'), { timeout: 5000 });
    expect(got[0]![1]).toBe(7);
    following.dispose();
    appendFileSync(file, 'after\n');
    await new Promise((r) => setTimeout(r, 150));
    expect(got.map((g) => g[2]).join('')).not.toContain('after');
    f.dispose();
  });
});
