import { closeSync, existsSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { DisposableStore, toDisposable, type Disposable } from '../../../shared/lifecycle';

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
export function readLogChunk(
  path: string | null,
  offset: number | undefined,
  maxBytes = DEFAULT_TAIL,
): { text: string; offset: number; nextOffset: number } {
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
  reading: boolean;
  /** The size-check timer and the fs watcher, released when the last follower leaves. */
  resources: DisposableStore;
  /** One handle per follow; the log is watched while any is held. */
  handles: Set<Disposable>;
}

let liveWatches = 0;

/** Gate logs being watched right now, over every follower of this process (each holds a timer and at most one fs watcher). */
export function openGateLogWatches(): number {
  return liveWatches;
}

/**
 * Streams what is appended to gate logs. Change notifications come from fs.watch; a slow
 * size check backs it up where watching is unreliable (network file systems). Each `follow`
 * returns its own handle: a log is watched until every handle for it is disposed, so one
 * client letting go never stops another's stream.
 */
export class GateLogFollower implements Disposable {
  private readonly followed = new Map<number, Followed>();

  constructor(
    private readonly emit: (gateRunId: number, offset: number, text: string) => void,
    private readonly checkMs = 1_000,
  ) {}

  follow(gateRunId: number, path: string): Disposable {
    let f = this.followed.get(gateRunId);
    if (!f) f = this.start(gateRunId, path);
    const followed = f;
    const handle = toDisposable(() => {
      followed.handles.delete(handle);
      if (followed.handles.size === 0 && this.followed.get(gateRunId) === followed) this.stop(gateRunId);
    });
    followed.handles.add(handle);
    return handle;
  }

  private start(gateRunId: number, path: string): Followed {
    const resources = new DisposableStore();
    const f: Followed = {
      path,
      offset: existsSync(path) ? statSync(path).size : 0,
      decoder: new StringDecoder('utf8'),
      watcher: null,
      reading: false,
      resources,
      handles: new Set(),
    };
    const timer = setInterval(() => this.pump(gateRunId), this.checkMs);
    timer.unref();
    liveWatches++;
    resources.add(
      toDisposable(() => {
        clearInterval(timer);
        liveWatches--;
      }),
    );
    resources.add(toDisposable(() => f.watcher?.close()));
    this.followed.set(gateRunId, f);
    this.watch(gateRunId, f);
    return f;
  }

  private stop(gateRunId: number): void {
    const f = this.followed.get(gateRunId);
    if (!f) return;
    this.followed.delete(gateRunId);
    f.handles.clear();
    f.resources.dispose();
  }

  private watch(gateRunId: number, f: Followed): void {
    try {
      f.watcher = watch(f.path, () => this.pump(gateRunId));
      f.watcher.on('error', () => undefined);
    } catch {
      // Not there yet or not watchable: the size check covers it.
    }
  }

  private pump(gateRunId: number): void {
    const f = this.followed.get(gateRunId);
    if (!f || f.reading || !existsSync(f.path)) return;
    f.reading = true;
    try {
      if (!f.watcher) this.watch(gateRunId, f);
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
    for (const id of [...this.followed.keys()]) this.stop(id);
  }
}
