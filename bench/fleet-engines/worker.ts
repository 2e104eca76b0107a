/**
 * One fleet worker process of the `fleet-engines` bench: runs an engine's worker with a scripted
 * handler that holds each job for job.holdMs, and reports every handler start and end to the
 * parent over IPC (epoch ms on this process's clock). FLEET_ENGINE, FLEET_WORKER,
 * FLEET_CONCURRENCY and FLEET_CONFIG (JSON EngineConfig) come from the parent.
 */
import { ENGINES, type EngineName } from './engines';
import type { EngineConfig, RunHandler } from './types';

export type WorkerMessage =
  | { ev: 'ready'; worker: string }
  | { ev: 'start'; worker: string; runId: string; t: number }
  | { ev: 'end'; worker: string; runId: string; t: number; aborted: boolean }
  | { ev: 'drained'; worker: string; ms: number };

const now = () => performance.timeOrigin + performance.now();
const name = process.env.FLEET_WORKER ?? `w${process.pid}`;
const engine = ENGINES[process.env.FLEET_ENGINE as EngineName];
const cfg = JSON.parse(process.env.FLEET_CONFIG ?? '{}') as EngineConfig;
const send = (m: WorkerMessage) => process.send?.(m);

/** Resolves true when the engine aborted the handler (graphile-worker's signal is shared, so the listener goes). */
function hold(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const handler: RunHandler = async (runId, job, signal) => {
  send({ ev: 'start', worker: name, runId, t: now() });
  const aborted = await hold(job.holdMs, signal);
  send({ ev: 'end', worker: name, runId, t: now(), aborted });
  return { worker: name };
};

async function main(): Promise<void> {
  const worker = await engine.worker(cfg, Number(process.env.FLEET_CONCURRENCY ?? 1), handler);
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd !== 'drain') return;
    const t = now();
    void worker.drain().then(() => {
      send({ ev: 'drained', worker: name, ms: now() - t });
      process.exit(0);
    });
  });
  process.on('disconnect', () => process.exit(0));
  send({ ev: 'ready', worker: name });
}

main().catch((e: unknown) => {
  process.stderr.write(`[fleet worker ${name}] ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
