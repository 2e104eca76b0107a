/*
 * Wave planning: stories grouped by wave_number, checked so a story never runs before (or
 * alongside) a story it depends on, and warned about when two stories of one wave would edit
 * the same file (they run in parallel in separate worktrees and would conflict at merge).
 * Pure functions: the renderer shows the same plan the orchestrator runs.
 */

export interface PlannableStory {
  story_id: string;
  wave_number: number;
  title?: string;
  priority?: string;
  dependencies?: readonly string[];
  files?: { create?: readonly string[]; modify?: readonly string[]; delete?: readonly string[] };
}

export type WavePlanIssueCode =
  | 'duplicate-story-id'
  | 'missing-dependency'
  | 'dependency-cycle'
  | 'dependency-order'
  | 'file-overlap';

export interface WaveMove {
  storyId: string;
  fromWave: number;
  toWave: number;
}

export interface WavePlanIssue {
  code: WavePlanIssueCode;
  message: string;
  suggestion: string;
  /** Stories involved, the one to act on first. */
  storyIds: string[];
  /** For dependency-cycle: the cycle in order, first id repeated at the end. */
  cycle?: string[];
  /** For file-overlap: the paths both stories touch. */
  files?: string[];
  /** For file-overlap and dependency-order: the move that resolves it. */
  move?: WaveMove;
}

export interface PlannedWave {
  number: number;
  /** Story ids in the wave, highest priority first, then by id. */
  storyIds: string[];
}

export interface WavePlan {
  /** True when there is no error (warnings allowed). */
  ok: boolean;
  waves: PlannedWave[];
  errors: WavePlanIssue[];
  warnings: WavePlanIssue[];
}

export interface PlanOptions {
  /** Story ids outside the plan that count as done (e.g. merged in an earlier session). */
  satisfied?: Iterable<string>;
}

const PRIORITY_RANK: Record<string, number> = { critical: 0, p0: 0, high: 1, p1: 1, medium: 2, p2: 2, low: 3, p3: 3 };

export function priorityRank(priority: string | undefined): number {
  return priority === undefined ? 4 : (PRIORITY_RANK[priority.toLowerCase()] ?? 4);
}

function byPriorityThenId(a: PlannableStory, b: PlannableStory): number {
  return priorityRank(a.priority) - priorityRank(b.priority) || a.story_id.localeCompare(b.story_id);
}

export function planWaves(stories: readonly PlannableStory[], options: PlanOptions = {}): WavePlan {
  const errors: WavePlanIssue[] = [];
  const warnings: WavePlanIssue[] = [];
  const satisfied = new Set(options.satisfied ?? []);

  const byId = new Map<string, PlannableStory>();
  for (const s of stories) {
    if (byId.has(s.story_id)) {
      errors.push({
        code: 'duplicate-story-id',
        storyIds: [s.story_id],
        message: `Story id ${s.story_id} appears more than once in the plan.`,
        suggestion: `Give each story its own story_id, or remove the duplicate story.`,
      });
      continue;
    }
    byId.set(s.story_id, s);
  }

  // Dependency edges between stories of the plan; anything else is satisfied or missing.
  const edges = new Map<string, string[]>();
  for (const s of byId.values()) {
    const deps: string[] = [];
    for (const dep of new Set(s.dependencies ?? [])) {
      if (byId.has(dep)) deps.push(dep);
      else if (!satisfied.has(dep)) {
        errors.push({
          code: 'missing-dependency',
          storyIds: [s.story_id, dep],
          message: `${s.story_id} (wave ${s.wave_number}) depends on ${dep}, which is not among the stories being planned.`,
          suggestion: `Import the story ${dep}, or remove "${dep}" from the dependencies of ${s.story_id}.`,
        });
      }
    }
    edges.set(s.story_id, deps);
  }

  const cyclic = new Set<string>();
  for (const cycle of findCycles(edges)) {
    for (const id of cycle) cyclic.add(id);
    const path = [...cycle, cycle[0]!];
    errors.push({
      code: 'dependency-cycle',
      storyIds: cycle,
      cycle: path,
      message:
        cycle.length === 1
          ? `${cycle[0]} depends on itself.`
          : `Dependency cycle: ${path.join(' → ')}. None of these stories can ever start.`,
      suggestion:
        cycle.length === 1
          ? `Remove "${cycle[0]}" from its own dependencies.`
          : `Remove one of these dependencies, e.g. "${path[1]}" from the dependencies of ${path[0]}.`,
    });
  }

  for (const s of byId.values()) {
    for (const dep of edges.get(s.story_id) ?? []) {
      if (cyclic.has(s.story_id) && cyclic.has(dep)) continue; // the cycle error already explains it
      const d = byId.get(dep)!;
      if (d.wave_number < s.wave_number) continue;
      const same = d.wave_number === s.wave_number;
      errors.push({
        code: 'dependency-order',
        storyIds: [s.story_id, dep],
        move: { storyId: s.story_id, fromWave: s.wave_number, toWave: d.wave_number + 1 },
        message: same
          ? `${s.story_id} (wave ${s.wave_number}) depends on ${dep}, which is in the same wave ${d.wave_number}; stories of one wave run in parallel, so ${dep} would not be merged when ${s.story_id} starts.`
          : `${s.story_id} (wave ${s.wave_number}) depends on ${dep}, which is in a later wave (${d.wave_number}).`,
        suggestion: `Move ${s.story_id} to wave ${d.wave_number + 1} or later, or move ${dep} to wave ${s.wave_number - 1} or earlier.`,
      });
    }
  }

  const waveMap = new Map<number, PlannableStory[]>();
  for (const s of byId.values()) {
    const list = waveMap.get(s.wave_number) ?? [];
    list.push(s);
    waveMap.set(s.wave_number, list);
  }
  const waves: PlannedWave[] = [...waveMap.entries()]
    .sort(([a], [b]) => a - b)
    .map(([number, list]) => ({ number, storyIds: [...list].sort(byPriorityThenId).map((s) => s.story_id) }));

  const dependents = new Map<string, string[]>();
  for (const [id, deps] of edges) for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), id]);

  for (const w of waves) {
    const list = w.storyIds.map((id) => byId.get(id)!);
    const touched = list.map((s) => touchedPaths(s));
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const shared = overlap(touched[i]!, touched[j]!);
        if (shared.length === 0) continue;
        // list is sorted by priority: keep the first, move the second unless it has dependents and the first does not.
        let [keep, move] = [list[i]!, list[j]!];
        if ((dependents.get(move.story_id)?.length ?? 0) > 0 && (dependents.get(keep.story_id)?.length ?? 0) === 0)
          [keep, move] = [move, keep];
        const followers = (dependents.get(move.story_id) ?? []).filter(
          (id) => byId.get(id)!.wave_number === w.number + 1,
        );
        warnings.push({
          code: 'file-overlap',
          storyIds: [move.story_id, keep.story_id],
          files: shared,
          move: { storyId: move.story_id, fromWave: w.number, toWave: w.number + 1 },
          message: `${list[i]!.story_id} and ${list[j]!.story_id} are both in wave ${w.number} and both change ${describeFiles(shared)}; run in parallel they will conflict when merged.`,
          suggestion:
            `Move ${move.story_id} to wave ${w.number + 1} so it starts after ${keep.story_id} is merged` +
            (followers.length
              ? ` (then also move ${followers.join(', ')}, which depend${followers.length === 1 ? 's' : ''} on it, to wave ${w.number + 2}).`
              : '.'),
        });
      }
    }
  }

  return { ok: errors.length === 0, waves, errors, warnings };
}

function describeFiles(files: string[]): string {
  const shown = files.slice(0, 3).join(', ');
  return files.length > 3 ? `${shown} and ${files.length - 3} more` : shown;
}

export function normalizeRepoPath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/{2,}/g, '/')
    .replace(/\/$/, '');
}

function touchedPaths(s: PlannableStory): string[] {
  const f = s.files ?? {};
  const all = [...(f.create ?? []), ...(f.modify ?? []), ...(f.delete ?? [])].filter(
    (p): p is string => typeof p === 'string',
  );
  return [...new Set(all.map(normalizeRepoPath))];
}

const GLOB_CHARS = /[*?[\]{}]/;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function pathsMeet(a: string, b: string): boolean {
  if (a === b) return true;
  const ga = GLOB_CHARS.test(a);
  const gb = GLOB_CHARS.test(b);
  if (ga && !gb) return globToRegExp(a).test(b);
  if (gb && !ga) return globToRegExp(b).test(a);
  if (ga && gb) {
    // Two globs: they may meet if one's literal prefix contains the other's.
    const pa = a.split(GLOB_CHARS)[0]!;
    const pb = b.split(GLOB_CHARS)[0]!;
    return pa.startsWith(pb) || pb.startsWith(pa);
  }
  return false;
}

function overlap(a: string[], b: string[]): string[] {
  const out = new Set<string>();
  for (const x of a) for (const y of b) if (pathsMeet(x, y)) out.add(x === y ? x : `${x} ~ ${y}`);
  return [...out];
}

/** Cycles of the dependency graph, each listed once in dependency order starting at its smallest id. */
function findCycles(edges: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components, iterative to survive long dependency chains.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  for (const root of [...edges.keys()].sort()) {
    if (idx.has(root)) continue;
    const work: Array<{ v: string; i: number }> = [{ v: root, i: 0 }];
    idx.set(root, index);
    low.set(root, index++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1]!;
      const succ = edges.get(frame.v) ?? [];
      if (frame.i < succ.length) {
        const w = succ[frame.i++]!;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!));
      }
      if (low.get(frame.v) === idx.get(frame.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.v);
        const selfLoop = comp.length === 1 && (edges.get(comp[0]!) ?? []).includes(comp[0]!);
        if (comp.length > 1 || selfLoop) sccs.push(comp);
      }
    }
  }
  return sccs.map((comp) => cycleThrough(comp, edges)).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One concrete cycle inside a strongly connected component, starting at its smallest id. */
function cycleThrough(comp: string[], edges: Map<string, string[]>): string[] {
  const members = new Set(comp);
  const start = [...comp].sort()[0]!;
  // Breadth-first search from start back to start within the component gives a shortest cycle.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
        return path;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}
