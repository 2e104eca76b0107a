import { toPointer } from './json-text';
import { valueAt } from './issues';

/*
 * The story schemas do not forbid extra properties (teams add their own fields, and a newer
 * field must not make an older tool refuse a story), so unknown fields are found here, by
 * walking the document alongside the schema, and reported as warnings.
 */

export interface UnknownField {
  pointer: string;
  key: string;
  /** Field names the schema knows at that place. */
  known: string[];
}

type Schema = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolve(schema: unknown, root: Schema): Schema | undefined {
  let s = schema;
  for (let i = 0; i < 8 && isRecord(s) && typeof s.$ref === 'string'; i++) {
    const ref = s.$ref;
    s = ref.startsWith('#/') ? valueAt(root, ref.slice(1)) : undefined;
  }
  return isRecord(s) ? s : undefined;
}

export function findUnknownFields(schema: Schema, data: unknown): UnknownField[] {
  const out: UnknownField[] = [];
  const walk = (node: unknown, value: unknown, path: (string | number)[]): void => {
    const s = resolve(node, schema);
    if (!s) return;
    if (isRecord(value)) {
      const props = isRecord(s.properties) ? s.properties : undefined;
      const extra = s.additionalProperties;
      const extraSchema = isRecord(extra) ? extra : undefined;
      // No declared properties and no rule for extras: a free-form object.
      if (!props && extra === undefined) return;
      for (const [key, v] of Object.entries(value)) {
        if (props && Object.hasOwn(props, key)) walk(props[key], v, [...path, key]);
        else if (extraSchema) walk(extraSchema, v, [...path, key]);
        else if (extra === undefined || extra === true)
          out.push({ pointer: toPointer([...path, key]), key, known: Object.keys(props ?? {}) });
      }
    } else if (Array.isArray(value) && s.items !== undefined) {
      value.forEach((item, i) => walk(s.items, item, [...path, i]));
    }
  };
  walk(schema, data, []);
  return out;
}

/** Edit distance counting a swap of two neighbours as one edit ("titel" → "title"), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function closestName(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const name of known) {
    const d = editDistance(k, name.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}
