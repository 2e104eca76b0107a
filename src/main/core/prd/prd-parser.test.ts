import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePrdText } from './prd-parser';

describe('parsePrdText', () => {
  it('reads id, title and stories from the front matter and hashes the exact text', () => {
    const text =
      '---\nid: PRD-AUTH\ntitle: Accounts and sign-in\nstories: [AUTH-001, AUTH-002]\nauthor: ana\n---\n# Accounts\n\nBody.\n';
    const r = parsePrdText(text, 'docs/prd.md');
    expect(r.valid).toBe(true);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.prd).toMatchObject({
      id: 'PRD-AUTH',
      title: 'Accounts and sign-in',
      storyIds: ['AUTH-001', 'AUTH-002'],
      body: '# Accounts\n\nBody.\n',
    });
    expect(r.prd!.contentHash).toBe(createHash('sha256').update(text).digest('hex'));
    // One changed character is another hash: an approval is bound to the exact text.
    expect(parsePrdText(text.replace('Body.', 'Body!'), 'docs/prd.md').prd!.contentHash).not.toBe(r.prd!.contentHash);
  });

  it('takes the title from the first heading and the id from the file name when absent, and says so', () => {
    const r = parsePrdText('# Checkout revamp\n\nText.\n', 'prds/PRD Checkout.md');
    expect(r.valid).toBe(true);
    expect(r.prd).toMatchObject({ id: 'PRD-Checkout', title: 'Checkout revamp', storyIds: null, frontMatter: null });
    expect(r.warnings.map((w) => w.code)).toEqual(['no-front-matter']);
    const r2 = parsePrdText('---\ntitle: T\n---\nText\n', 'x/prd-pay.md');
    expect(r2.prd!.id).toBe('prd-pay');
    expect(r2.warnings.map((w) => w.code)).toEqual(['derived-id']);
  });

  it('reports YAML errors at their line in the file', () => {
    const r = parsePrdText('---\nid: PRD-1\ntitle: [unclosed\n---\nBody\n', 'p.md');
    expect(r.valid).toBe(false);
    expect(r.errors[0]!.code).toBe('yaml-syntax');
    expect(r.errors[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('reports bad front matter fields with their pointer and line', () => {
    const r = parsePrdText('---\nid: "bad id!"\ntitle: T\nstories: AUTH-001\n---\nBody\n', 'p.md');
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => [e.pointer, e.line])).toEqual([
      ['/id', 2],
      ['/stories', 4],
    ]);
    expect(r.errors[1]!.suggestion).toBe('Write "stories: [AUTH-001]".');
    const dup = parsePrdText('---\nid: P\nstories:\n  - A-1\n  - A-1\n  - 7\n---\nBody\n', 'p.md');
    expect(dup.errors.map((e) => [e.code, e.pointer, e.line])).toEqual([
      ['duplicate-id', '/stories/1', 5],
      ['type', '/stories/2', 6],
    ]);
  });

  it('refuses a front matter block that is never closed, and warns about an empty PRD', () => {
    expect(parsePrdText('---\nid: P\n# no end\n', 'p.md').errors[0]!.code).toBe('front-matter');
    const empty = parsePrdText('---\nid: P\ntitle: T\nstories: [A-1]\n---\n', 'p.md');
    expect(empty.valid).toBe(true);
    expect(empty.warnings.map((w) => w.code)).toEqual(['empty-prd']);
  });

  it('accepts CRLF line ends and a BOM', () => {
    const r = parsePrdText('\uFEFF---\r\nid: P-1\r\ntitle: T\r\nstories: [A-1]\r\n---\r\nBody\r\n', 'p.md');
    expect(r.valid).toBe(true);
    expect(r.prd).toMatchObject({ id: 'P-1', storyIds: ['A-1'], body: 'Body\r\n' });
  });
});
