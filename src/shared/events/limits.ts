/** Largest encoded event (its JSON, in UTF-8 bytes) the bus accepts or delivers. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** UTF-8 byte length without allocating an encoded copy (events are measured on every publish). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** "64 KB" style size for messages meant for a person. */
export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KB`;
}
