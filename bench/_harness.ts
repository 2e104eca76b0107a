/** Shared helpers for bench/*.ts: percentiles and the one-JSON-object output rule. */
export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const idx = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[idx] as number;
}

export function summarize(samplesMs: readonly number[]): { p50_ms: number; p99_ms: number } {
  const s = [...samplesMs].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return { p50_ms: round(percentile(s, 50)), p99_ms: round(percentile(s, 99)) };
}

/** Progress goes to stderr so stdout carries exactly one JSON object. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function emit(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
