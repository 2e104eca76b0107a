/**
 * Untrusted text made inert for a terminal: every C0/C1 control character, DEL and the
 * start of every escape sequence is shown as a visible escape (`\x1b`, `\x07`, `\x9b`...)
 * instead of being sent to the terminal, so a story title, a file name or a line of a
 * diff can never clear the screen, move the cursor or set the window title.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_NO_NEWLINES = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

function visible(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

export function inertText(text: string, opts: { keepNewlines?: boolean } = {}): string {
  // Tabs stay as they are; newlines stay only where the caller prints several lines.
  return text.replace(opts.keepNewlines ? CONTROL : CONTROL_NO_NEWLINES, visible);
}
