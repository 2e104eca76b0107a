import { closeSync, existsSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const DEFAULT_TAIL = 64 * 1024;

/** Bytes of `buf` up to the last complete UTF-8 character. */
function completeUtf8(buf: Buffer): number {
  let end = buf.length;
  // Step back over at most 3 continuation bytes to the lead byte of the last character.
  for (let i = 1; i <= Math.min(4, buf.length); i++) {
    const b = buf[buf.length - i]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > i) end = buf.length - i;
    break;
  }
  return end;
}

/** A piece of a log file from a byte offset (the tail when offset is omitted), cut at a character boundary. */
export function readLogChunk(path: string | null, offset: number | undefined, maxBytes = DEFAULT_TAIL): { text: string; offset: number; nextOffset: number } {
  if (!path || !existsSync(path)) return { text: '', offset: offset ?? 0, nextOffset: offset ?? 0 };
  const size = statSync(path).size;
  let start = offset ?? Math.max(0, size - maxBytes);
  if (start > size) start = size;
  const length = Math.min(maxBytes, size - start);
  if (length <= 0) return { text: '', offset: start, nextOffset: start };
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, length, start);
  } finally {
    closeSync(fd);
  }
  // A tail read may begin inside a character: skip continuation bytes at the start.
  let from = 0;
  if (offset === undefined) while (from < buf.length && (buf[from]! & 0xc0) === 0x80) from++;
  const end = Math.max(from, completeUtf8(buf));
  return { text: buf.subarray(from, end).toString('utf8'), offset: start + from, nextOffset: start + end };
}

interface Followed {
  path: string;
  offset: number;
  decoder: StringDecoder;
  watcher: FSWatcher | null;
  timer: NodeJS.Timeout;
  reading: boolean;
}

/**
 * Streams what is appended to gate logs. Change notifications come from fs.watch; a slow
 * size check backs it up where watching is unreliable (network file systems).
 */
export class GateLogFollower {
  private readonly followed = new Map<number, Followed>();

  constructor(
    private readonly emit: (gateRunId: number, offset: number, text: string) => void,
    private readonly checkMs = 1_000,
  ) {}

  follow(gateRunId: number, path: string): void {
    if (this.followed.has(gateRunId)) return;
    const f: Followed = {
      path,
      offset: existsSync(path) ? statSync(path).size : 0,
      decoder: new StringDecoder('utf8'),
      watcher: null,
      timer: setInterval(() => this.pump(gateRunId), this.checkMs),
      reading: false,
    };
    f.timer.unref();
    try {
      f.watcher = watch(path, () => this.pump(gateRunId));
      f.watcher.on('error', () => undefined);
    } catch {
      // Not there yet or not watchable: the size check covers it.
    }
    this.followed.set(gateRunId, f);
  }

  unfollow(gateRunId: number): void {
    const f = this.followed.get(gateRunId);
    if (!f) return;
    clearInterval(f.timer);
    f.watcher?.close();
    this.followed.delete(gateRunId);
  }

  isFollowing(gateRunId: number): boolean {
    return this.followed.has(gateRunId);
  }

  private pump(gateRunId: number): void {
    const f = this.followed.get(gateRunId);
    if (!f || f.reading || !existsSync(f.path)) return;
    f.reading = true;
    try {
      if (!f.watcher) {
        try {
          f.watcher = watch(f.path, () => this.pump(gateRunId));
          f.watcher.on('error', () => undefined);
        } catch {
          // Keep relying on the size check.
        }
      }
      const size = statSync(f.path).size;
      while (f.offset < size) {
        const length = Math.min(DEFAULT_TAIL, size - f.offset);
        const buf = Buffer.alloc(length);
        const fd = openSync(f.path, 'r');
        try {
          readSync(fd, buf, 0, length, f.offset);
        } finally {
          closeSync(fd);
        }
        const at = f.offset;
        f.offset += length;
        const text = f.decoder.write(buf);
        if (text) this.emit(gateRunId, at, text);
      }
    } catch {
      // The file went away (worktree cleanup): nothing more to stream.
    } finally {
      f.reading = false;
    }
  }

  dispose(): void {
    for (const id of [...this.followed.keys()]) this.unfollow(id);
  }
}
