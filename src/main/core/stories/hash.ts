import { canonicalHash } from '../hash';

export { sha256Hex } from '../hash';
export { canonicalJson } from '../../../shared/canonical-json';

/**
 * Hash of a story's meaning: reformatting or reordering keys does not change it, any edit
 * of a value does. Import uses it for idempotency and to decide whether an approval is void.
 */
export function storyContentHash(doc: unknown): string {
  return canonicalHash(doc);
}
