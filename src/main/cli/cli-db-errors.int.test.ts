import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../../../test/helpers/env';
import { runCli } from './cli';
import type { CliCommand } from './cli-types';

const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
afterAll(async () => pool.end());

/** A command that passes its argument to a real query, as `wave status <session>` does. */
const probe: CliCommand = {
  name: 'probe',
  summary: 'test',
  usage: 'wave probe <text>',
  async run(ctx, args) {
    await drizzle({ client: pool }).execute(
      sql`select ${args.positionals[0]}::text as v, ${'param-secret-9c1'}::text as w`,
    );
    ctx.output({}, () => 'ok');
    return 0;
  },
};

describe('a database error in a wave command', () => {
  it('is reported with a clean code, without the SQL text or its parameters', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const code = await runCli(
      ['probe', 'a\u0000b', '--json'],
      { stdout, stderr: new PassThrough(), env: {}, cwd: '/', isTTY: false },
      [probe],
      'test',
    );
    expect(code).toBe(1);
    const error = JSON.parse(out).error as { code: string; message: string };
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('wave probe');
    expect(error.message).not.toMatch(/select|::text|param-secret|Unexpected error/i);
  });
});
