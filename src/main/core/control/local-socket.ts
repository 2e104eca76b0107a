import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pidAlive } from '../../store/dir-lock';
import type { ControlTransport } from './control-channel';

/** Unix domain socket paths longer than this do not fit sockaddr_un on every platform (104 on macOS). */
const MAX_SOCKET_PATH = 100;
/** An entry of the directory: `<pid>-<random hex>`. */
const ENTRY = /^\d+-[0-9a-f]+$/;

/**
 * Where the processes of one data dir find each other: `<dataDir>/control-sockets/`, beside the
 * embedded store's lock file (`<dataDir>/store.lock`). Each listening process has an entry
 * named `<pid>-<random>`: on Unix the socket itself; on Windows a marker file whose named pipe
 * is `\\.\pipe\wave-<hash of the data dir>-<name>` (computed, not yet tested on Windows).
 * A data dir whose socket path would be too long for a Unix socket uses a directory under the
 * system's temp dir named by the data dir's hash instead.
 */
export function controlSocketDir(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  const dir = path.join(dataDir, 'control-sockets');
  if (platform === 'win32' || path.join(dir, '4194304-0123456789ab').length <= MAX_SOCKET_PATH) return dir;
  return path.join(os.tmpdir(), `wave-control-${dataDirHash(dataDir)}`);
}

function dataDirHash(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
}

/** The address a process listens on for the entry `name` of the directory. */
export function controlSocketAddress(
  dataDir: string,
  name: string,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'win32') return `\\\\.\\pipe\\wave-${dataDirHash(dataDir)}-${name}`;
  return path.join(controlSocketDir(dataDir, platform), name);
}

/**
 * The control channel between processes on this machine sharing a data dir, with no server:
 * every process that listens opens its own socket; sending writes the line to every other
 * socket of the directory over one kept connection each (so one sender's lines stay in order).
 * An entry whose process is gone is removed by whoever finds it.
 */
export class LocalSocketTransport implements ControlTransport {
  readonly name = 'local socket';
  private readonly dir: string;
  private readonly ownName = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private server: net.Server | null = null;
  private readonly peers = new Map<string, net.Socket>();
  private readonly incoming = new Set<net.Socket>();
  private closed = false;

  constructor(private readonly dataDir: string) {
    this.dir = controlSocketDir(dataDir);
  }

  async send(line: string): Promise<void> {
    if (this.closed) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // Nobody has listened yet.
    }
    const present = new Set(names);
    for (const [name, sock] of this.peers) {
      if (!present.has(name)) {
        sock.destroy();
        this.peers.delete(name);
      }
    }
    for (const name of names) {
      if (name === this.ownName || !ENTRY.test(name)) continue;
      this.peerSocket(name).write(`${line}\n`);
    }
  }

  private peerSocket(name: string): net.Socket {
    let sock = this.peers.get(name);
    if (sock && !sock.destroyed) return sock;
    sock = net.createConnection(controlSocketAddress(this.dataDir, name));
    sock.unref();
    sock.on('error', (e: NodeJS.ErrnoException) => {
      this.peers.delete(name);
      const pid = Number(name.split('-')[0]);
      // A socket nobody listens on any more: its process is gone (or never cleaned up).
      if ((e.code === 'ECONNREFUSED' || e.code === 'ENOENT') && !pidAlive(pid)) this.removeEntry(name);
    });
    sock.on('close', () => {
      if (this.peers.get(name) === sock) this.peers.delete(name);
    });
    this.peers.set(name, sock);
    return sock;
  }

  private removeEntry(name: string): void {
    rmSync(path.join(this.dir, name), { force: true });
  }

  async listen(onLine: (line: string) => void): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // What processes killed without closing left behind (kill -9, a crash).
    for (const name of readdirSync(this.dir))
      if (ENTRY.test(name) && !pidAlive(Number(name.split('-')[0]))) this.removeEntry(name);
    const address = controlSocketAddress(this.dataDir, this.ownName);
    const server = net.createServer((conn) => {
      this.incoming.add(conn);
      conn.on('close', () => this.incoming.delete(conn));
      let buf = '';
      conn.setEncoding('utf8');
      conn.on('data', (chunk: string) => {
        buf += chunk;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const l = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (l) onLine(l);
          nl = buf.indexOf('\n');
        }
        if (buf.length > 1_000_000) conn.destroy(); // No line of ours is that long.
      });
      conn.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    if (process.platform === 'win32') writeFileSync(path.join(this.dir, this.ownName), String(process.pid));
    this.server = server;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const sock of this.peers.values()) sock.destroy();
    this.peers.clear();
    const server = this.server;
    this.server = null;
    for (const conn of this.incoming) conn.destroy();
    this.incoming.clear();
    if (server) {
      await new Promise<void>((r) => server.close(() => r()));
      this.removeEntry(this.ownName);
    }
  }
}
