import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { ownerOnly } from './owner-only';

/*
 * Why this exists. PGlite 0.5 on Node mounts the data directory with Emscripten's NODEFS,
 * whose writes are plain write(2) calls: a COMMIT that returned has reached the kernel and
 * survives SIGKILL of this process. But PGlite starts Postgres with `-F` (fsync off), and
 * NODEFS has no fsync operation at all, so nothing ever reaches the disk platter: an OS
 * crash or power cut can lose commits that were acknowledged. (In the browser the gap is
 * worse: `transaction()` skips syncToFs after COMMIT; that does not apply to NODEFS.)
 *
 * We close the gap: NODEFS gets an fsync that calls fsync(2) on the real file, and Postgres
 * runs with fsync on and wal_sync_method=fsync (its default, fdatasync, is a no-op syscall in
 * Emscripten). Postgres then applies its normal discipline: the WAL is fsynced before COMMIT
 * returns, data files at each checkpoint.
 */
export class DurableNodeFS extends NodeFS {
  /** True once the fsync hook is installed; false means the PGlite build changed under us. */
  fsyncInstalled = false;
  /** True once new files and directories are created owner-only (see maskModes). */
  modesMasked = false;
  fsyncCount = 0;

  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]) {
    const r = await super.init(pg, opts);
    const preRun = r.emscriptenOpts.preRun;
    const hook = (mod: { NODEFS?: { stream_ops?: Record<string, unknown>; node_ops?: Record<string, unknown> } }) => {
      if (mod.NODEFS?.node_ops) this.maskModes(mod.NODEFS.node_ops);
      const ops = mod.NODEFS?.stream_ops;
      if (!ops) return;
      ops.fsync = (stream: { nfd?: number }) => {
        if (typeof stream.nfd === 'number') {
          this.fsyncCount++;
          fs.fsyncSync(stream.nfd);
        }
        return 0;
      };
      this.fsyncInstalled = true;
    };
    r.emscriptenOpts.preRun = [...(Array.isArray(preRun) ? preRun : preRun ? [preRun] : []), hook];
    return r;
  }

  /**
   * PGlite creates files and chmods them to 0666 (its in-memory defaults), which the process
   * umask does not touch: mask group/other bits where NODEFS creates a node or sets a mode.
   */
  private maskModes(ops: Record<string, unknown>): void {
    const mknod = ops.mknod as ((parent: unknown, name: string, mode: number, dev: unknown) => unknown) | undefined;
    const setattr = ops.setattr as ((node: unknown, attr: { mode?: number | null }) => unknown) | undefined;
    if (typeof mknod !== 'function' || typeof setattr !== 'function') return;
    ops.mknod = (parent: unknown, name: string, mode: number, dev: unknown) =>
      mknod(parent, name, ownerOnly(mode), dev);
    ops.setattr = (node: unknown, attr: { mode?: number | null }) =>
      setattr(node, typeof attr.mode === 'number' ? { ...attr, mode: ownerOnly(attr.mode) } : attr);
    this.modesMasked = true;
  }
}

/**
 * Postgres start parameters: PGlite's defaults with fsync turned back on, and a WAL cap.
 * Single-user Postgres has no checkpointer process, so nothing checkpoints on a timer: the
 * WAL would grow to max_wal_size (1 GB by default) and all of it be replayed after a crash.
 */
export function durableStartParams(): string[] {
  return [
    ...PGlite.defaultStartParams.filter((p) => p !== '-F'),
    '-c',
    'wal_sync_method=fsync',
    '-c',
    'max_wal_size=64MB',
    '-c',
    'min_wal_size=32MB',
  ];
}
