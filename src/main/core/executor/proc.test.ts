import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter';
import { parseProcStat, readProcStat } from './proc';

describe('parseProcStat', () => {
  it('reads state, pgid and start time even when the command name has spaces and parentheses', () => {
    const line = '4242 (we(ird) name) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10';
    expect(parseProcStat(line)).toEqual({ pid: 4242, state: 'S', ppid: 1, pgid: 4240, startTime: 987654 });
  });

  it('reads this process from the real /proc', () => {
    const self = readProcStat(process.pid);
    expect(self?.pid).toBe(process.pid);
    expect(self?.state).not.toBe('Z');
    expect(readProcStat(0x7ffffff0)).toBeNull();
  });
});

describe('LineSplitter', () => {
  it('splits LF and CRLF lines across chunks, and cuts endless lines', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 5);
    s.push('ab');
    s.push('c\r\nde\nfg');
    s.push('hijklmn');
    s.end();
    expect(lines).toEqual(['abc', 'de', 'fghij', 'klmn']);
  });
});
