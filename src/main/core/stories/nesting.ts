/*
 * Nesting caps applied BEFORE a story or PRD is parsed. The parsers (jsonc-parser, yaml,
 * ajv) recurse once per level: a file nested ~5,000 deep overflows the stack and, uncaught,
 * would stop the import of the whole folder. These scans are linear, allocate nothing and
 * never recurse; they return where the cap is first exceeded so the error is located.
 */

/** Deeper than any real story (they nest about 5 levels); far below what overflows the stack. */
export const MAX_NESTING = 64;
/** Leading spaces of a YAML line: each level of block nesting indents further. */
export const MAX_YAML_INDENT = 256;

/** Offset where JSON text first nests deeper than `max` arrays/objects; -1 when it never does. */
export function jsonTooDeepAt(text: string, max = MAX_NESTING): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return i;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth = Math.max(0, depth - 1);
  }
  return -1;
}

/**
 * Offset where YAML text first nests too deep: flow collections ([ and {) deeper than `max`,
 * a line indented more than MAX_YAML_INDENT, or more than `max` block sequence dashes
 * ("- - - x") opening one line. -1 when none.
 */
export function yamlTooDeepAt(text: string, max = MAX_NESTING): number {
  let flow = 0;
  let quote: 0 | 34 | 39 = 0;
  let lineStart = true;
  let indent = 0;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      lineStart = true;
      indent = 0;
      dashes = 0;
      continue;
    }
    if (lineStart) {
      if (c === 32 || c === 9) {
        if (++indent > MAX_YAML_INDENT) return i;
        continue;
      }
      if (c === 45 /* - */ && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 9)) {
        if (++dashes > max) return i;
        indent++;
        continue;
      }
      lineStart = false;
    }
    if (quote === 34) {
      if (c === 92) i++;
      else if (c === 34) quote = 0;
    } else if (quote === 39) {
      if (c === 39) quote = 0;
    } else if (c === 35 /* # */ && (i === 0 || /\s/.test(text[i - 1]!))) {
      // A comment runs to the end of the line.
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== 10 && text.charCodeAt(i + 1) !== 13) i++;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 91 || c === 123) {
      if (++flow > max) return i;
    } else if (c === 93 || c === 125) flow = Math.max(0, flow - 1);
  }
  return -1;
}
