import { describe, expect, it } from 'vitest';
import { buildRequests } from './api';
import { events, requests } from './contract';
import { EVENT_NAMES, REQUEST_NAMES } from './methods';
import { ok } from './result';

describe('typed contract', () => {
  it('lists exactly the contract requests and events for the preload', () => {
    expect([...REQUEST_NAMES].sort()).toEqual(Object.keys(requests).sort());
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(events).sort());
  });

  it('names every request domain.verb', () => {
    for (const name of Object.keys(requests)) expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
  });

  it('builds one function per request, nested by domain, calling through with the full name', async () => {
    const calls: Array<[string, unknown]> = [];
    const api = buildRequests(REQUEST_NAMES, async (name, payload) => {
      calls.push([name, payload]);
      return ok(null);
    });
    await api.app.echo({ text: 'hi' });
    await api.app.info({});
    expect(calls).toEqual([
      ['app.echo', { text: 'hi' }],
      ['app.info', {}],
    ]);
    const domains = [...new Set(REQUEST_NAMES.map((n) => n.split('.')[0]))];
    expect(Object.keys(api).sort()).toEqual(domains.sort());
    expect(typeof (api as unknown as Record<string, Record<string, unknown>>).session?.stop).toBe('function');
  });
});
