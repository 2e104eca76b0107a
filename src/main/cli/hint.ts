/*
 * Commands the CLI prints for a person to paste ("Next: …", "Start one with: …"). Each
 * argument is quoted for a POSIX shell when it needs it, so a path with a space or a quote
 * in it still works when pasted; nothing here is ever run through a shell by WAVE itself.
 */

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument as a POSIX shell reads it back unchanged. */
export function shellArg(arg: string): string {
  if (arg !== '' && PLAIN.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `wave <args…>`, ready to paste. */
export function waveCommand(...args: string[]): string {
  return ['wave', ...args].map(shellArg).join(' ');
}
