import { describe, expect, it } from 'vitest';
import { inertText } from './inert';

// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

describe('inertText', () => {
  it('shows terminal escapes, BEL, CR and bidi overrides escaped, keeping tabs, newlines and other text', () => {
    const title = 'Login \u001b[2J\u001b]0;pwned\u0007 page\r\u009b31m \u202eevil\tok\nnext é 日本';
    const out = inertText(title);
    expect(out).toBe('Login \\u001b[2J\\u001b]0;pwned\\u0007 page\\u000d\\u009b31m \\u202eevil\tok\nnext é 日本');
    expect(out).not.toMatch(CONTROL);
    expect(title).toMatch(CONTROL);
    expect(inertText('line one\r\nline two')).toBe('line one\nline two');
  });

  it('keeps a JSON document parseable and decoding to the original text', () => {
    const doc = JSON.stringify({ title: 'a\u0085b\u007fc\u001b' });
    expect(JSON.parse(inertText(doc))).toEqual({ title: 'a\u0085b\u007fc\u001b' });
  });
});
