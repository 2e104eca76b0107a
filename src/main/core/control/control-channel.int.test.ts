import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/pg';
import { cleanupPrefix, uniquePrefix } from '../../../../test/helpers/redis';
import { TEST_REDIS_URL } from '../../../../test/helpers/env';
import { PgNotifyTransport } from '../../store';
import {
  ControlChannel,
  controlSocketAddress,
  controlSocketDir,
  createControlChannel,
  LocalSocketTransport,
  RedisPubSubTransport,
  type ControlEnvelope,
} from '.';

/*
 * The control channel between processes of one store, over the real transports: the local
 * socket of a data dir, Redis pub/sub and Postgres LISTEN/NOTIFY. Each "process" here is a
 * ControlChannel of its own (its own origin and sockets), as two `wave` processes would have.
 */
describe('control channel', () => {
  let db: TestDatabase;
  const prefix = uniquePrefix('control');
  const dirs: string[] = [];
  const open: ControlChannel[] = [];
  const dataDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'wave-ctl-'));
    dirs.push(d);
    return d;
  };
  const track = (c: ControlChannel) => (open.push(c), c);
  /** A process's channel on a data dir with neither Redis nor Postgres: the local socket alone. */
  const localOnly = (home: string) =>
    track(createControlChannel({ dataDir: home, redisUrl: undefined, redisPrefix: undefined, databaseUrl: undefined }));

  beforeAll(async () => {
    db = await createTestDatabase('control');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await db?.drop();
    await cleanupPrefix(prefix);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a stop sent by one process reaches the process listening on the same data dir once, through the local socket', async () => {
    const home = dataDir();
    const owner = localOnly(home);
    const got: ControlEnvelope[] = [];
    await owner.subscribe((e) => got.push(e));
    const stopper = localOnly(home);
    await stopper.publish({ kind: 'stop', sessionId: 'ses-1', reason: 'end of the day', by: 'lead' });
    await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 10_000 });
    expect(got[0]!.message).toEqual({ kind: 'stop', sessionId: 'ses-1', reason: 'end of the day', by: 'lead' });
    expect(got[0]!.origin).toBe(stopper.origin);
    // A process that closed its channel leaves no socket behind.
    await owner.close();
    expect(readdirSync(controlSocketDir(home))).toEqual([]);
  });

  it('with every transport configured, each message arrives once and in order, whichever transport brings it first', async () => {
    const settings = { dataDir: dataDir(), redisUrl: TEST_REDIS_URL, redisPrefix: prefix, databaseUrl: db.url };
    const window = track(createControlChannel(settings));
    expect(window.describe()).toBe('local socket + redis pub/sub + postgres notify');
    const got: string[] = [];
    await window.subscribe((e) => got.push((e.message as { sessionId: string }).sessionId));
    // A listener on each transport alone: every transport carries every message.
    const alone = {
      local: new ControlChannel([new LocalSocketTransport(settings.dataDir)]),
      redis: new ControlChannel([new RedisPubSubTransport(TEST_REDIS_URL, prefix)]),
      postgres: new ControlChannel([new PgNotifyTransport(db.url)]),
    };
    const carried: Record<keyof typeof alone, string[]> = { local: [], redis: [], postgres: [] };
    for (const [name, channel] of Object.entries(alone) as [keyof typeof alone, ControlChannel][]) {
      track(channel);
      await channel.subscribe((e) => carried[name].push((e.message as { sessionId: string }).sessionId));
    }
    const owner = track(createControlChannel(settings));
    const sent = [...Array.from({ length: 20 }, (_, i) => `s${i + 1}`), 'last'];
    for (const sessionId of sent) await owner.publish({ kind: 'event', sessionId, name: 'notice', payload: {} });
    for (const name of Object.keys(alone) as (keyof typeof alone)[])
      await vi.waitFor(() => expect(carried[name], name).toEqual(sent), { timeout: 10_000 });
    // Every copy has arrived on its own transport: the window kept the first of each, in order.
    await vi.waitFor(() => expect(got).toHaveLength(sent.length), { timeout: 10_000 });
    expect(got).toEqual(sent);
  });

  it('a message one transport cannot carry (a NOTIFY over 8000 bytes) is noticed as missed, so the window re-reads the store', async () => {
    const listener = track(new ControlChannel([new PgNotifyTransport(db.url)]));
    const got: number[] = [];
    let missed = 0;
    listener.onMissed(() => (missed += 1));
    await listener.subscribe((e) => got.push(e.seq));
    const sender = track(new ControlChannel([new PgNotifyTransport(db.url)]));
    await sender.publish({ kind: 'event', sessionId: 's', name: 'notice', payload: { body: 'small' } });
    await sender.publish({ kind: 'event', sessionId: 's', name: 'notice', payload: { body: 'x'.repeat(9_000) } });
    await sender.publish({ kind: 'event', sessionId: 's', name: 'notice', payload: { body: 'small again' } });
    await vi.waitFor(() => expect(missed).toBe(1), { timeout: 10_000 });
    expect(got).toEqual([1, 3]);
  });

  it('refuses lines that are not control messages, from anyone', async () => {
    const home = dataDir();
    const listener = localOnly(home);
    const got: ControlEnvelope[] = [];
    await listener.subscribe((e) => got.push(e));
    const [name] = readdirSync(controlSocketDir(home));
    const net = await import('node:net');
    const sock = net.createConnection(controlSocketAddress(home, name!));
    sock.write('not json\n{"origin":"x","seq":1,"message":{"kind":"rm -rf"}}\n');
    sock.write(
      `${JSON.stringify({ origin: 'x', seq: 2, message: { kind: 'stop', sessionId: 'ok', reason: 'r', by: 'b' } })}\n`,
    );
    await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 10_000 });
    expect(got[0]!.message).toMatchObject({ kind: 'stop', sessionId: 'ok' });
    sock.destroy();
  });

  it('computes a named pipe on Windows and a short socket path for a long data dir', () => {
    expect(controlSocketAddress('C:\\Users\\lead\\.wave', '42-abc', 'win32')).toMatch(
      /^\\\\\.\\pipe\\wave-[0-9a-f]{16}-42-abc$/,
    );
    const long = path.join(os.tmpdir(), 'x'.repeat(120));
    expect(controlSocketAddress(long, '42-abc', 'linux').length).toBeLessThan(100);
    expect(controlSocketAddress('/home/lead/.wave', '42-abc', 'linux')).toBe('/home/lead/.wave/control-sockets/42-abc');
  });
});
