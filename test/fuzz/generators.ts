/*
 * Seeded input generators for the fuzz suite: WebSocket frames for the bridge, argv for the
 * CLI, and story / PRD files for the importers. Everything derives from one seeded source, so
 * a failure is replayed with the seed and index the suite prints.
 */
import { REQUEST_NAMES } from '../../src/shared/ipc/methods';
import { ALIAS_BOMB_PRD, deepDashPrd, deepFlowPrd, deepStory } from '../helpers/hostile-inputs';

export type Rng = () => number;
export const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const chance = (rng: Rng, p: number) => rng() < p;

/** Strings that have broken parsers, databases and terminals before. */
export const NASTY_STRINGS = [
  '',
  ' ',
  'S-1\u0000x',
  '\u0000',
  '\u001b[2J\u001b]0;pwned\u0007',
  'a\nb',
  '\t',
  "'; drop table sessions; --",
  '../../../../etc/passwd',
  '/etc/passwd',
  'C:\\Windows\\System32',
  '%s%n%x',
  '${7*7}',
  '__proto__',
  'constructor',
  '\ud800',
  '😀'.repeat(50),
  'é',
  '\u202e',
  'x'.repeat(199),
  'x'.repeat(201),
  'x'.repeat(5000),
  'PRD-1',
  'S-1',
  'gate-3',
  '00000000-0000-0000-0000-000000000000',
  'deadbeef',
  'a'.repeat(64),
];

function nastyNumber(rng: Rng): number {
  return pick(rng, [0, -1, 1, 2, 63, 64, 65, 1e9, -1e9, 0.5, Number.MAX_SAFE_INTEGER, 1e308, -0, 1_000_001]);
}

export function randomValue(rng: Rng, depth = 0): unknown {
  const k = Math.floor(rng() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return chance(rng, 0.5);
    case 2:
      return nastyNumber(rng);
    case 3:
    case 4:
      return pick(rng, NASTY_STRINGS);
    case 5:
      return uuidFrom(rng);
    case 6:
      return Array.from({ length: Math.floor(rng() * 4) }, () => randomValue(rng, depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: Math.floor(rng() * 3) }, () => [
          pick(rng, ['a', 'id', '__proto__', 'sessionId', 'x']),
          randomValue(rng, depth + 1),
        ]),
      );
    default:
      return deepArray(Math.floor(rng() * 3000));
  }
}

function deepArray(levels: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

function uuidFrom(rng: Rng): string {
  const hex = () => Math.floor(rng() * 16).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

/** A plausible payload for each request, which the mutations then break. */
function basePayload(method: string, rng: Rng): Record<string, unknown> {
  const id = () => pick(rng, ['S-1', 'PRD-1', 'sess-1', 'DEMO-1', ...NASTY_STRINGS.slice(0, 6)]);
  switch (method) {
    case 'app.echo':
      return { text: pick(rng, NASTY_STRINGS) };
    case 'settings.update':
      return {
        concurrency: Math.floor(rng() * 70),
        budgetUsd: chance(rng, 0.3) ? null : nastyNumber(rng),
        agentPreset: pick(rng, ['command', 'claude-code', 'scripted', 'evil']),
      };
    case 'session.get':
    case 'session.resume':
      return {
        sessionId: id(),
        strategy: pick(rng, ['resume_from_last', 'resume_from_gate', 'restart', 'skip', 'x']),
        gate: pick(rng, ['gate-0', 'gate-3', 'gate-9']),
      };
    case 'session.start':
      return { prdId: id(), budgetUsd: nastyNumber(rng), concurrency: Math.floor(rng() * 70) };
    case 'session.stop':
      return { sessionId: id(), reason: pick(rng, NASTY_STRINGS) };
    case 'story.overrideDomain':
      return { sessionId: id(), storyId: id(), reason: pick(rng, NASTY_STRINGS) };
    case 'story.approveMerge':
      return { sessionId: id(), storyId: id(), headSha: pick(rng, ['deadbeef', 'DEADBEEF', 'a'.repeat(64), 'xyz']) };
    case 'events.deadLetters':
      return { limit: nastyNumber(rng) };
    case 'metrics.get':
      return { sessionId: id() };
    case 'gate.log':
      return { gateRunId: nastyNumber(rng), offset: nastyNumber(rng), maxBytes: nastyNumber(rng) };
    case 'gate.follow':
      return { gateRunId: nastyNumber(rng), follow: chance(rng, 0.5) };
    case 'import.stage':
      return {
        uploadId: uuidFrom(rng),
        file: pick(rng, ['s.json', 'p.md', '../x.json', 'a/b.json', ...NASTY_STRINGS.slice(0, 8)]),
        offset: 0,
        data: storyOrPrdText(rng),
        last: chance(rng, 0.8),
      };
    case 'import.commit':
      return { uploadId: uuidFrom(rng), migrate: chance(rng, 0.5) };
    case 'import.paths':
      return { paths: [pick(rng, ['/etc', '/tmp', '.', 'stories', ...NASTY_STRINGS.slice(0, 10)])] };
    case 'prd.get':
      return { prdId: id() };
    case 'prd.approve':
      return { prdId: id(), by: pick(rng, NASTY_STRINGS), contentHash: pick(rng, ['a'.repeat(64), 'x']) };
    case 'prd.reject':
      return { prdId: id(), by: 'lead', comment: pick(rng, NASTY_STRINGS) };
    default:
      return {};
  }
}

function mutatePayload(p: Record<string, unknown>, rng: Rng): unknown {
  const keys = Object.keys(p);
  const k = Math.floor(rng() * 6);
  if (k === 0 || keys.length === 0) return p; // as built
  if (k === 1) {
    delete p[pick(rng, keys)];
    return p;
  }
  if (k === 2) {
    p[pick(rng, ['extra', '__proto__', 'constructor', 'id'])] = randomValue(rng);
    return p;
  }
  if (k === 3) return randomValue(rng);
  p[pick(rng, keys)] = randomValue(rng);
  return p;
}

export interface Frame {
  /** What is sent: a text frame, or a binary one. */
  data: string | Buffer;
  /** The id the reply must carry (null when the frame has none or is not JSON). */
  id: string | number | null;
}

/** One WebSocket frame: mostly contract requests with broken payloads, some raw garbage. */
export function wsFrame(rng: Rng, n: number): Frame {
  const k = rng();
  if (k < 0.06)
    return {
      data: pick(rng, ['', 'not json', '{', '[]', 'null', '42', '"x"', '{"id":{}}', '{"method":"app.echo"}']),
      id: null,
    };
  if (k < 0.08) return { data: Buffer.from([0, 1, 2, 255]), id: null };
  if (k < 0.1)
    return {
      data: JSON.stringify({
        id: n,
        method: 'app.echo',
        payload: { text: 'x'.repeat(70_000 + Math.floor(rng() * 100_000)) },
      }),
      id: n,
    };
  const method = chance(rng, 0.05)
    ? pick(rng, ['shell.exec', '', 'app', 'APP.ECHO', '__proto__', 'toString'])
    : pick(rng, REQUEST_NAMES);
  const payload = mutatePayload(basePayload(method, rng), rng);
  return { data: JSON.stringify({ id: n, method, payload }), id: n };
}

/** Text for an import: a valid-looking story or PRD, a hostile one, or a broken one. */
export function storyOrPrdText(rng: Rng): string {
  return pick(rng, [
    () =>
      JSON.stringify({
        story_id: pick(rng, ['FZ-1', 'FZ-2', ...NASTY_STRINGS.slice(0, 5)]),
        title: pick(rng, NASTY_STRINGS),
        schema_version: pick(rng, ['4.3', '4.1', 9]),
      }),
    () => deepStory(100 + Math.floor(rng() * 5000)),
    () => ALIAS_BOMB_PRD,
    () => deepFlowPrd(100 + Math.floor(rng() * 5000)),
    () => deepDashPrd(100 + Math.floor(rng() * 5000)),
    () =>
      `---\nid: ${pick(rng, ['PRD-FZ', ...NASTY_STRINGS.slice(0, 6)])}\nstories: [${pick(rng, ['FZ-1', '*a', '&a x', '{'])}]\n---\n# ${pick(rng, NASTY_STRINGS)}\n`,
    () => pick(rng, NASTY_STRINGS),
    () => '{"a":1,"a":2}',
  ])();
}

/** A file name and text for the importer fuzz. */
export function importFile(rng: Rng, i: number): { name: string; text: string } {
  const text = storyOrPrdText(rng);
  const ext = text.startsWith('---') || chance(rng, 0.1) ? 'md' : 'json';
  return { name: `f${i}.${ext}`, text };
}

/** argv for one `wave` process: commands with broken, odd or missing arguments. */
export function cliArgv(rng: Rng, files: { story: string; prd: string }): string[] {
  const any = () =>
    pick(rng, [
      ...NASTY_STRINGS.filter((s) => !s.includes('\u0000') && s.length < 300),
      files.story,
      files.prd,
      '--',
      '-x',
      '--json',
    ]);
  const forms: Array<() => string[]> = [
    () => ['validate', pick(rng, [files.story, files.prd, '/nonexistent', any()])],
    () => ['validate', files.story, '--migrate'],
    () => [
      'import',
      pick(rng, [files.story, files.prd, '/nonexistent', any()]),
      '--project',
      pick(rng, ['/nonexistent', any()]),
    ],
    () => [
      'prd',
      pick(rng, ['show', 'approve', 'reject', 'explode', any()]),
      pick(rng, [files.prd, 'PRD-NONE', any()]),
    ],
    () => ['status', ...(chance(rng, 0.5) ? [any()] : [])],
    () => ['stop', any(), '--reason', any()],
    () => ['recover', pick(rng, ['--list', any()])],
    () => ['resume', any(), '--strategy', pick(rng, ['skip', 'restart', any()])],
    () => ['override-domain', any(), any(), '--reason', any()],
    () => ['approve-merge', any(), any(), '--sha', any()],
    () => ['signal', any(), '--session', any(), '--data', pick(rng, ['{', '[]', '{"a":1}', any()])],
    () => ['run', '--project', pick(rng, ['/nonexistent', any()]), '--concurrency', any(), '--budget', any()],
    () => ['serve', '--port', pick(rng, ['-1', '70000', 'abc', '1.5'])],
    () => [any(), any()],
    () => [pick(rng, ['--version', '--help', 'help'])],
  ];
  return [...pick(rng, forms)(), '--json'];
}
