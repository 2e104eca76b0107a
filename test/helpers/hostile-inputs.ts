/** Inputs that once stopped a whole import: shared by the importer tests and the fuzz suite. */

/** Front matter whose aliases expand into 9^6 copies ("billion laughs"). */
export const ALIAS_BOMB_PRD = [
  '---',
  'id: PRD-BOMB',
  'a: &a [x, x, x, x, x, x, x, x, x]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
  '---',
  '# Bomb',
].join('\n');

/** A story whose "x" nests `levels` arrays deep (on line 3). */
export const deepStory = (levels = 5000): string =>
  `{\n  "story_id": "DEEP-1",\n  "x": ${'['.repeat(levels)}${']'.repeat(levels)}\n}\n`;

/** PRD front matter nested `levels` deep in flow style (line 3) or as block dashes (line 4). */
export const deepFlowPrd = (levels = 5000): string =>
  `---\nid: PRD-DEEP\nx: ${'['.repeat(levels)}${']'.repeat(levels)}\n---\n# Deep\n`;
export const deepDashPrd = (levels = 5000): string => `---\nid: PRD-DASH\nx:\n${'- '.repeat(levels)}x\n---\n# Dashes\n`;
