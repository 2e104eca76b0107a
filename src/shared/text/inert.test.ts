import { describe, expect, it } from 'vitest';
import { inertText, isInert } from './inert';

describe('inertText', () => {
  it('shows terminal escapes, BEL, CR and bidi overrides escaped, keeping tabs, newlines and other text', () => {
    const title = 'Login \u001b[2J\u001b]0;pwned\u0007 page\r\u009b31m \u202eevil\tok\nnext é 日本';
    const out = inertText(title);
    expect(out).toBe('Login \\u001b[2J\\u001b]0;pwned\\u0007 page\\u000d\\u009b31m \\u202eevil\tok\nnext é 日本');
    expect(isInert(out)).toBe(true);
    expect(isInert(title)).toBe(false);
    expect(inertText('line one\r\nline two')).toBe('line one\nline two');
  });

  it('keeps a JSON document parseable and decoding to the original text', () => {
    const doc = JSON.stringify({ title: 'a\u0085b\u007fc\u001b' });
    expect(JSON.parse(inertText(doc))).toEqual({ title: 'a\u0085b\u007fc\u001b' });
  });
});
