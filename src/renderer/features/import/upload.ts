import { IMPORT_CHUNK_CHARS } from '../../lib/contract-constants';
import { MAX_PAYLOAD_BYTES } from '../../../shared/ipc/limits';
import type { ApiError, Result } from '../../../shared/ipc/result';
import type { ImportFileResult } from '../../../shared/ipc/views';
import type { PickedFile } from './collect-files';

/** What the upload needs from the API (the real one in the app; a fake in tests). */
export interface ImportApi {
  stage(p: {
    uploadId: string;
    file: string;
    offset: number;
    data: string;
    last: boolean;
  }): Promise<Result<{ received: number }>>;
  commit(p: { uploadId: string; migrate?: boolean }): Promise<Result<{ results: ImportFileResult[] }>>;
}

/** Room left for the envelope ({id, method, payload…}) and JSON escapes in one request. */
const PIECE_JSON_BYTES = MAX_PAYLOAD_BYTES - 8 * 1024;
const utf8 = new TextEncoder();

/**
 * Splits text into pieces of at most IMPORT_CHUNK_CHARS characters whose JSON form stays
 * well under the request size cap (escaped quotes and multi-byte text grow it), never
 * cutting a surrogate pair.
 */
export function splitForUpload(text: string, maxChars = IMPORT_CHUNK_CHARS, maxJsonBytes = PIECE_JSON_BYTES): string[] {
  if (text.length === 0) return [''];
  const pieces: string[] = [];
  let i = 0;
  while (i < text.length) {
    let len = Math.min(maxChars, text.length - i);
    for (;;) {
      let end = i + len;
      const code = text.charCodeAt(end - 1);
      if (end < text.length && code >= 0xd800 && code <= 0xdbff) end -= 1;
      const piece = text.slice(i, end);
      if (utf8.encode(JSON.stringify(piece)).length <= maxJsonBytes || len <= 1) {
        pieces.push(piece);
        i = end;
        break;
      }
      len = Math.max(1, Math.floor(len / 2));
    }
  }
  return pieces;
}

export class ImportError extends Error {
  constructor(
    readonly error: ApiError,
    readonly file: string | null,
  ) {
    super(error.message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The core rate-limits each window; an import of many files waits its turn instead of failing. */
async function withRetry<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
  for (let attempt = 0; ; attempt++) {
    const res = await call();
    if (res.ok || res.error.code !== 'rate_limited' || attempt >= 40) return res;
    await sleep(Math.min(1000, 150 * (attempt + 1)));
  }
}

function newUploadId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Uploads every file in pieces (import.stage) and then asks the core to validate and
 * import them all (import.commit). The core imports nothing from an invalid file.
 */
export async function uploadAndImport(
  api: ImportApi,
  files: readonly PickedFile[],
  opts: { migrate?: boolean; onProgress?: (done: number, total: number, file: string) => void } = {},
): Promise<ImportFileResult[]> {
  const uploadId = newUploadId();
  let done = 0;
  for (const f of files) {
    opts.onProgress?.(done, files.length, f.name);
    const text = await f.file.text();
    const pieces = splitForUpload(text);
    let offset = 0;
    for (let i = 0; i < pieces.length; i++) {
      const data = pieces[i]!;
      const res = await withRetry(() =>
        api.stage({ uploadId, file: f.name, offset, data, last: i === pieces.length - 1 }),
      );
      if (!res.ok) throw new ImportError(res.error, f.name);
      offset += data.length;
    }
    done++;
  }
  opts.onProgress?.(done, files.length, '');
  const res = await withRetry(() => api.commit({ uploadId, ...(opts.migrate ? { migrate: true } : {}) }));
  if (!res.ok) throw new ImportError(res.error, null);
  return res.value.results;
}
