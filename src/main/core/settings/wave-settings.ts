import os from 'node:os';
import path from 'node:path';
import { waveCacheDir } from '../../store/cluster-template';
import { resolveDataDir } from '../../store/paths';

/**
 * Everything WAVE takes from its environment, resolved once when a process starts (the
 * window, `wave serve`, every CLI command) and handed down: no other file of the core reads
 * these variables. The lead's project choices (Settings in the window) are SettingsStore's.
 */
export interface WaveSettings {
  /** WAVE_HOME, else the caller's default (the window's userData folder), else ~/.wave. */
  readonly dataDir: string;
  /** DATABASE_URL: a Postgres server; undefined = the embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** REDIS_URL: Redis Streams; undefined = the in-process event bus. */
  readonly redisUrl: string | undefined;
  /** WAVE_REDIS_PREFIX: prefix of every Redis key (several installations on one Redis). */
  readonly redisPrefix: string | undefined;
  /** The packaged app's migrations folder; undefined = found next to the code (or WAVE_MIGRATIONS_DIR). */
  readonly migrationsDir: string | undefined;
  /** WAVE_PORT: `wave serve`'s port when --port is not given (text, checked by the command). */
  readonly port: string | undefined;
  /** WAVE_RENDERER_DIR: the built renderer `wave serve` serves when --static is not given. */
  readonly rendererDir: string | undefined;
  /** WAVE_STOP_GRACE_MS: SIGTERM → SIGKILL grace when stopping agents; undefined = the orchestrator's default (2 s). */
  readonly stopGraceMs: number | undefined;
  /** WAVE_DEBUG: log store/bus details and stack traces of unexpected errors. */
  readonly debug: boolean;
  /** Who acts, for the audit log: WAVE_USER, USER, USERNAME, else the OS account. */
  readonly actor: string;
  /** WAVE_PROJECT: the project repository until one is chosen in Settings. */
  readonly project: string | undefined;
  /** WAVE_CACHE_DIR, else the platform's cache folder: what can be rebuilt (the fresh embedded cluster). */
  readonly cacheDir: string;
  /**
   * The environment these settings came from. Only passed on: agents get what the session
   * grants from it, and `wave serve`'s children inherit it.
   */
  readonly env: NodeJS.ProcessEnv;
}

export interface SettingsDefaults {
  /** Data dir when WAVE_HOME is not set (the window passes its userData folder). */
  dataDir?: string;
  /** Where the packaged app keeps migrations/ (electron-builder's resources folder). */
  resourcesDir?: string;
}

/** Reads the environment once into WaveSettings. */
export function resolveSettings(env: NodeJS.ProcessEnv, defaults: SettingsDefaults = {}): WaveSettings {
  const text = (v: string | undefined) => (v && v.length > 0 ? v : undefined);
  return {
    dataDir: defaults.dataDir && !env.WAVE_HOME ? defaults.dataDir : resolveDataDir(env),
    databaseUrl: text(env.DATABASE_URL),
    redisUrl: text(env.REDIS_URL?.trim()),
    redisPrefix: text(env.WAVE_REDIS_PREFIX),
    migrationsDir: defaults.resourcesDir ? path.join(defaults.resourcesDir, 'migrations') : undefined,
    port: env.WAVE_PORT,
    rendererDir: env.WAVE_RENDERER_DIR,
    stopGraceMs: msFrom(env.WAVE_STOP_GRACE_MS),
    debug: !!env.WAVE_DEBUG,
    actor: actorFrom(env),
    project: text(env.WAVE_PROJECT),
    cacheDir: waveCacheDir(env),
    env,
  };
}

function msFrom(v: string | undefined): number | undefined {
  const n = v?.trim() ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n >= 0 && n <= 600_000 ? n : undefined;
}

function actorFrom(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.WAVE_USER?.trim() || env.USER?.trim() || env.USERNAME?.trim();
  if (fromEnv) return fromEnv;
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
