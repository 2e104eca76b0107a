/**
 * Canonical JSON, defined once: object keys sorted at every level, no spaces, `undefined`
 * members left out, values with `toJSON` (dates) serialised through it. Equal values give
 * equal text whatever their key order or formatting. Story content hashes (import
 * idempotency, PRD approvals) and checkpoint state hashes are sha256 of this text
 * (`canonicalHash` in src/main/core/hash.ts), so changing it invalidates stored hashes.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && (v as object).constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  if (v && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
    return sortKeys((v as { toJSON(): unknown }).toJSON());
  return v;
}
