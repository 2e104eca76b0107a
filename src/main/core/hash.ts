import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json';

/** sha256 as lowercase hex: the one hash of the core (file contents, PRD texts, story and checkpoint states). */
export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 of the canonical JSON of a value: equal for equal values whatever their key order. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
