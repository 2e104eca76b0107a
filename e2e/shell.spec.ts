import { expect, test } from './support/fixtures';

test.describe('control center shell', () => {
  test('loads and shows store and event-bus health fetched through the typed API', async ({ app }, testInfo) => {
    await expect(app.getByText('WAVE', { exact: true })).toBeVisible();
    await expect(app.getByTestId('health-store-kind')).toHaveText('pglite');
    await expect(app.getByTestId('health-store-status')).toHaveText('ok');
    await expect(app.getByTestId('health-events-kind')).toHaveText('in-process');
    await expect(app.getByTestId('connection')).toHaveText('connected');
    // The token must not linger in the address bar (screenshots, screen shares).
    expect(app.url()).not.toContain('token=');
    await app.screenshot({ path: testInfo.outputPath('shell.png') });
  });

  test('STOP is visible on every view and says why it is disabled', async ({ app }) => {
    for (const view of ['Waves', 'Timeline', 'Charts', 'Import', 'PRD', 'Recovery', 'Settings']) {
      await app.getByRole('button', { name: view, exact: true }).click();
      await expect(app.getByTestId('stop-button')).toBeVisible();
      await expect(app.getByTestId('stop-button')).toBeInViewport();
    }
    await expect(app.getByTestId('stop-button')).toBeDisabled();
    await expect(app.locator('#stop-reason')).toContainText('Nothing is running');
  });

  test('works from the keyboard: Alt+7 opens Settings with the data dir and active components', async ({
    app,
  }, testInfo) => {
    await expect(app.getByTestId('health-store-status')).toHaveText('ok');
    await app.keyboard.press('Alt+7');
    const settings = app.getByTestId('settings');
    await expect(settings).toContainText('Data directory');
    await expect(settings).toContainText('wave-e2e');
    await expect(settings).toContainText('REDIS_URL');
    await app.screenshot({ path: testInfo.outputPath('settings.png') });
  });

  test('a malformed or oversized request is refused with the typed error', async ({ app, transport }) => {
    await expect(app.getByTestId('connection')).toHaveText('connected');
    const codes = await app.evaluate(async (mode) => {
      type R = { ok: boolean; error?: { code: string; message: string } };
      if (mode === 'electron') {
        const w = (window as unknown as { wave: { app: { echo(p: unknown): Promise<R> } } }).wave;
        const bad = await w.app.echo({ text: 42 });
        const big = await w.app.echo({ text: 'x'.repeat(70_000) });
        const good = await w.app.echo({ text: 'hi' });
        return [bad.error?.code, big.error?.code, good.ok ? 'ok' : good.error?.code];
      }
      // Browser mode: speak to the bridge directly, as a hostile page script on the same origin would.
      const token = sessionStorage.getItem('wave.bridge.token') ?? '';
      const ws = new WebSocket(`ws://${location.host}/bridge?token=${encodeURIComponent(token)}`);
      const replies: Record<string, R> = {};
      await new Promise<void>((resolve) => (ws.onopen = () => resolve()));
      const done = new Promise<void>((resolve) => {
        ws.onmessage = (ev) => {
          const m = JSON.parse(String(ev.data));
          if (m.type === 'result') replies[String(m.id)] = m.result;
          if (Object.keys(replies).length === 4) resolve();
        };
      });
      ws.send(JSON.stringify({ id: 1, method: 'app.echo', payload: { text: 42 } }));
      ws.send(JSON.stringify({ id: 2, method: 'app.echo', payload: { text: 'x'.repeat(70_000) } }));
      ws.send(JSON.stringify({ id: 3, method: 'app.echo', payload: { text: 'hi' } }));
      ws.send(JSON.stringify({ id: 4, method: 'fs.readFile', payload: { path: '/etc/passwd' } }));
      await done;
      ws.close();
      return [
        replies['1']?.error?.code,
        replies['2']?.error?.code,
        replies['3']?.ok ? 'ok' : 'fail',
        replies['4']?.error?.code,
      ];
    }, transport);
    expect(codes.slice(0, 3)).toEqual(['invalid_request', 'payload_too_large', 'ok']);
    if (transport === 'websocket') expect(codes[3]).toBe('unknown_method');
  });
});
