// Every number the lead reads carries its unit; these helpers are the one place that decides how.

export function usd(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v !== 0 && Math.abs(v) < 0.01) return `$${v.toFixed(4)}`;
  return `$${v.toFixed(digits)}`;
}

/** A duration in ms, compact and always with units: "850 ms", "52 s", "2 min 14 s", "1 h 03 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalS = Math.floor(ms / 1000);
  if (totalS < 60) return `${totalS} s`;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h === 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${h} h ${String(m).padStart(2, '0')} min`;
}

/** Latency in ms with a sensible precision. */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (v < 10) return `${v.toFixed(1)} ms`;
  return `${Math.round(v)} ms`;
}

export function tokens(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1000) return `${n} tokens`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k tokens`;
  return `${(n / 1_000_000).toFixed(1)}M tokens`;
}

export function pct(v: number): string {
  return `${Math.round(v)} %`;
}

/** Local wall-clock time of an ISO timestamp, e.g. "14:02:31". */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString([], {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Milliseconds between two ISO timestamps (end defaults to now). */
export function elapsedMs(startIso: string | null, endIso: string | null, now: number): number | null {
  if (!startIso) return null;
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, end - start);
}

/** An id as shown on screen: readable ids (ses-20260101-140203-…) whole, long opaque ones (UUIDs) cut to 8 characters. */
export function shortId(id: string): string {
  return id.length > 28 ? id.slice(0, 8) : id;
}

/** When a story's clock stops: its end, else (not running) its last gate's end, else now. */
export function storyEndIso(story: {
  status: string;
  endedAt: string | null;
  gates: ReadonlyArray<{ endedAt: string | null }>;
}): string | null {
  if (story.endedAt || story.status === 'running') return story.endedAt;
  let last: string | null = null;
  for (const g of story.gates) if (g.endedAt && (!last || g.endedAt > last)) last = g.endedAt;
  return last;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
