// The floor of bench live (plain Node, no wave code): AGENTS bare child processes each print PER_SECOND
// lines a second for MS milliseconds, each stamped with its write time like the scripted agent's
// progress_stream; this process reads their stdout line by line and sends every line as one frame to
// every client of a bare WebSocket server on 127.0.0.1. It prints {"port": n} once listening and
// starts the children when the first client connects; it exits when they are done.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';

const AGENTS = Number(process.env.AGENTS ?? 8);
const PER_SECOND = Number(process.env.PER_SECOND ?? 50);
const MS = Number(process.env.MS ?? 4000);

const child = `
const total = Math.round((${PER_SECOND} * ${MS}) / 1000);
const start = performance.now();
let n = 0;
const tick = () => {
  n++;
  const at = (performance.timeOrigin + performance.now()).toFixed(3);
  process.stdout.write(JSON.stringify({ type: 'progress', message: 'live ' + n + ' at ' + at }) + '\\n');
  if (n < total) setTimeout(tick, Math.max(0, start + ((n + 1) * 1000) / ${PER_SECOND} - performance.now()));
};
setTimeout(tick, 1000 / ${PER_SECOND});
`;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => process.stdout.write(`${JSON.stringify({ port: wss.address().port })}\n`));
wss.once('connection', () => {
  let running = AGENTS;
  for (let i = 0; i < AGENTS; i++) {
    const p = spawn(process.execPath, ['-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: p.stdout }).on('line', (line) => {
      const frame = JSON.stringify({ agent: i, line });
      for (const c of wss.clients) c.send(frame);
    });
    p.on('exit', () => {
      if (--running > 0) return;
      setTimeout(() => {
        for (const c of wss.clients) c.close();
        process.exit(0);
      }, 200);
    });
  }
});
