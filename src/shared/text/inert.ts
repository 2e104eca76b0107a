/*
 * Text from outside (stories, PRDs, agent output, config) made inert for a terminal: every
 * control character except tab and newline (C0, DEL, C1, so ESC and BEL and the 8-bit CSI
 * too) and the bidirectional overrides that reorder what a reader sees are shown as
 * `\uXXXX` instead of being sent (CRLF becomes a plain newline). The escape is valid inside a JSON string, so a
 * document printed with --json stays parseable and decodes to the original text.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function inertText(text: string): string {
  // A Windows line ending is a line ending; a lone CR (which can overwrite a line) is escaped.
  return text.replace(/\r\n/g, '\n').replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
