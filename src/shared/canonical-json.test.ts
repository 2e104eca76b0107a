import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('gives the same text for the same value whatever the key order, leaving undefined members out', () => {
    const a = { b: [1, { z: true, a: null }], a: 'x', gone: undefined };
    const b = { a: 'x', b: [1, { a: null, z: true }] };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":"x","b":[1,{"a":null,"z":true}]}');
  });

  it('serialises dates through toJSON and keeps array holes as null, like JSON.stringify', () => {
    expect(canonicalJson({ at: new Date(0), list: [undefined, 2] })).toBe(
      '{"at":"1970-01-01T00:00:00.000Z","list":[null,2]}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });
});
