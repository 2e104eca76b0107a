import { describe, expect, it } from 'vitest';
import { AppError } from './app-error';
import { RequestRouter, type RequestHandlers } from './router';

const info = {
  name: 'WAVE Control Center',
  version: '1.0.0',
  dataDir: '/tmp/x',
  transport: 'websocket' as const,
  pid: 1,
  platform: 'linux x64',
  startedAt: new Date().toISOString(),
  health: {
    store: {
      kind: 'pglite' as const,
      status: 'ok' as const,
      detail: 'ok',
      latencyMs: 1,
      checkedAt: new Date().toISOString(),
    },
    events: {
      kind: 'in-process' as const,
      status: 'ok' as const,
      detail: 'ok',
      latencyMs: 0,
      checkedAt: new Date().toISOString(),
      reason: 'REDIS_URL not set',
      p99Ms: null,
    },
  },
};

function router(overrides: Partial<RequestHandlers> = {}, rate = { ratePerSecond: 20, burst: 40 }) {
  // Only the app.* requests are exercised here; the router itself is domain-agnostic.
  const handlers = {
    'app.info': () => info,
    'app.echo': (req: { text: string }) => ({ text: req.text, receivedAt: new Date().toISOString() }),
    ...overrides,
  } as unknown as RequestHandlers;
  return new RequestRouter(handlers, { validateResponses: true, rate });
}
const ctx = { clientId: 'c1', transport: 'websocket' as const };

describe('RequestRouter', () => {
  it('answers a valid request with ok and the handler value', async () => {
    const r = await router().handle('app.echo', { text: 'hello' }, ctx);
    expect(r.ok && (r.value as { text: string }).text).toBe('hello');
  });

  it('refuses an unknown method with a typed error naming it', async () => {
    const r = await router().handle('app.rm -rf', {}, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(!r.ok && r.error.message).toContain('app.rm -rf');
  });

  it('refuses a malformed payload and says which field is wrong', async () => {
    const r = await router().handle('app.echo', { text: 42 }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(!r.ok && r.error.message).toContain('text');
    const extra = await router().handle('app.info', { sneaky: true }, ctx);
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('refuses payloads over 64 KB before validating them', async () => {
    const r = await router().handle('app.echo', { text: 'x'.repeat(70 * 1024) }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
  });

  it('rate-limits each client separately after the burst', async () => {
    const rt = router({}, { ratePerSecond: 1, burst: 5 });
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await rt.handle('app.echo', { text: 'a' }, ctx));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results[7]).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    const other = await rt.handle('app.echo', { text: 'a' }, { ...ctx, clientId: 'c2' });
    expect(other.ok).toBe(true);
  });

  it('turns an AppError into its code and any other throw into internal, never throwing', async () => {
    const r1 = await router({
      'app.info': () => {
        throw new AppError('not_found', 'no such session');
      },
    }).handle('app.info', {}, ctx);
    expect(r1).toEqual({ ok: false, error: { code: 'not_found', message: 'no such session' } });
    const r2 = await router({
      'app.info': () => {
        throw new Error('boom');
      },
    }).handle('app.info', {}, ctx);
    expect(r2).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('catches a handler whose response breaks the contract', async () => {
    const r = await router({ 'app.info': () => ({ ...info, version: 7 }) as never }).handle('app.info', {}, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } });
  });
});
