import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresTestStore, type TestStore } from '../../../../test/helpers/pglite';
import { RequestRouter, type RequestHandlers } from './router';

/*
 * What a client is told when a request hits a database error: a clean code and a sentence,
 * never the SQL text or its parameters (drizzle puts both in its error message).
 */
let t: TestStore;
const logged: string[] = [];
const SECRET = 'param-value-7f3a';

beforeAll(async () => {
  t = await openPostgresTestStore('router_db_errors');
  await t.store.execute(sql`create table if not exists router_probe (id text primary key)`);
  await t.store.execute(sql`insert into router_probe values ('taken')`);
});
afterAll(async () => t?.close());

function router(): RequestRouter {
  // app.echo stands in for any handler that passes client text to a query.
  const handlers = {
    'app.echo': async (req: { text: string }) => {
      if (req.text.startsWith('insert:'))
        await t.store.db.execute(sql`insert into router_probe values (${req.text.slice(7)})`);
      else await t.store.db.execute(sql`select ${req.text}::text as v, ${SECRET}::text as w`);
      return { text: req.text, receivedAt: new Date().toISOString() };
    },
    'session.get': async (req: { sessionId: string }) => {
      await t.store.db.execute(sql`select ${req.sessionId}::text`);
      throw new Error('unreachable in these tests');
    },
  } as unknown as RequestHandlers;
  return new RequestRouter(handlers, { log: (l) => logged.push(l) });
}
const ctx = { clientId: 'db', transport: 'websocket' as const };

describe('database errors reach a client as clean codes', () => {
  it('refuses an id with a NUL at the contract, naming the field', async () => {
    const r = await router().handle('session.get', { sessionId: 'S-1\u0000; drop table x' }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(!r.ok && r.error.message).toMatch(/sessionId: must not contain control characters/);
    const esc = await router().handle('session.get', { sessionId: '\u001b]0;pwned\u0007' }, ctx);
    expect(esc).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('a NUL byte that reaches Postgres is invalid_request, without SQL or parameters', async () => {
    const r = await router().handle('app.echo', { text: `a\u0000b` }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const message = !r.ok ? r.error.message : '';
    expect(message).toContain('SQLSTATE 22021');
    expect(message).not.toMatch(/select|::text|params/i);
    expect(message).not.toContain(SECRET);
    expect(logged.join('\n')).toContain('invalid byte sequence');
  });

  it('a unique violation is a conflict, without the value', async () => {
    const r = await router().handle('app.echo', { text: 'insert:taken' }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(!r.ok && r.error.message).not.toMatch(/insert|router_probe|taken/);
  });
});
