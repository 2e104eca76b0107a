import type { StoryIssue } from '../../../shared/stories';

/**
 * How `wave validate` and `wave import` print a located problem:
 * `<mark> file:line:column (pointer)  message`, and its fix on the line below.
 */
export function renderIssue(
  file: string,
  i: Pick<StoryIssue, 'line' | 'column' | 'pointer' | 'message' | 'suggestion'>,
  mark: string,
  indent = '  ',
): string {
  const ptr = i.pointer ? ` (${i.pointer})` : '';
  return `${indent}${mark} ${file}:${i.line}:${i.column}${ptr}  ${i.message}\n${indent}    fix: ${i.suggestion}`;
}
