import type { z } from 'zod';
import {
  MAX_PAYLOAD_BYTES,
  RATE_LIMIT,
  err,
  ok,
  requests,
  type ParsedRequestOf,
  type RequestName,
  type ResponseOf,
  type Result,
} from '../../../shared/ipc';
import { DisposableMap } from '../../../shared/lifecycle';
import { clientDbError, describeDbError } from '../../store/db-errors';
import { AppError } from './app-error';
import { TokenBucket } from './token-bucket';

export interface CallContext {
  /** Stable id of the window / WebSocket connection that sent the request. */
  clientId: string;
  transport: 'electron' | 'websocket';
}

/**
 * What a handler gets: the caller, and `client`, where it keeps what lives as long as the
 * window or socket (a followed log, a subscription). The transport calls `router.release`
 * when the client goes away, which releases all of it.
 */
export interface HandlerContext extends CallContext {
  client: DisposableMap<string>;
}

export type RequestHandlers = {
  [N in RequestName]: (request: ParsedRequestOf<N>, ctx: HandlerContext) => Promise<ResponseOf<N>> | ResponseOf<N>;
};

export interface RouterOptions {
  maxPayloadBytes?: number;
  rate?: { ratePerSecond: number; burst: number };
  /** Validate responses against the contract too (catches core bugs before the screen lies). */
  validateResponses?: boolean;
  log?: (line: string) => void;
}

const isRequestName = (name: unknown): name is RequestName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(requests, name);

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
}

/**
 * The one place requests enter the core, whatever the transport: size cap, method check,
 * per-client rate limit, zod validation, handler, typed Result. Never throws.
 */
export class RequestRouter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly clients = new Map<string, DisposableMap<string>>();
  private readonly maxBytes: number;
  private readonly rate: { ratePerSecond: number; burst: number };

  constructor(
    private readonly handlers: RequestHandlers,
    private readonly options: RouterOptions = {},
  ) {
    this.maxBytes = options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
    this.rate = options.rate ?? RATE_LIMIT;
  }

  /** `payloadBytes` is the size of the payload as received (JSON bytes); computed when absent. */
  async handle(method: unknown, payload: unknown, ctx: CallContext, payloadBytes?: number): Promise<Result<unknown>> {
    const size = payloadBytes ?? byteLengthOf(payload);
    if (size > this.maxBytes) {
      return err(
        'payload_too_large',
        `Request ${String(method).slice(0, 64)} is ${size} bytes; the limit is ${this.maxBytes} bytes. Send less data per request.`,
      );
    }
    if (!isRequestName(method)) {
      return err(
        'unknown_method',
        `There is no request named "${String(method).slice(0, 64)}". Requests are named domain.verb and listed in src/shared/ipc/contract.ts.`,
      );
    }
    if (!this.bucketFor(ctx.clientId).tryTake()) {
      return err(
        'rate_limited',
        `Too many requests from this window (limit ${this.rate.ratePerSecond}/s, burst ${this.rate.burst}). Wait a moment and retry.`,
      );
    }
    const spec = requests[method];
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) {
      return err('invalid_request', `Invalid ${method} request: ${describeIssues(parsed.error.issues)}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      });
    }
    try {
      const handler = this.handlers[method] as (r: unknown, c: HandlerContext) => Promise<unknown> | unknown;
      const value = await handler(parsed.data, { ...ctx, client: this.clientResources(ctx.clientId) });
      if (this.options.validateResponses) {
        const checked = spec.response.safeParse(value);
        if (!checked.success) {
          this.options.log?.(`response of ${method} broke the contract: ${describeIssues(checked.error.issues)}`);
          return err(
            'internal',
            `The core produced an invalid ${method} response; this is a bug. Details are in the log.`,
          );
        }
        return ok(checked.data);
      }
      return ok(value);
    } catch (e) {
      if (e instanceof AppError) return err(e.code, e.message, e.details);
      // Database errors carry the SQL and every parameter: the log gets the cause, the client a clean code.
      const db = clientDbError(e, method);
      if (db) {
        this.options.log?.(`handler ${method} failed: ${describeDbError(e)}`);
        return err(db.code, db.message);
      }
      this.options.log?.(`handler ${method} failed: ${(e as Error)?.stack ?? String(e)}`);
      return err('internal', `${method} failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  /** A client's window or socket closed: release what its requests acquired and forget its rate-limit state. */
  release(clientId: string): void {
    this.buckets.delete(clientId);
    const resources = this.clients.get(clientId);
    this.clients.delete(clientId);
    try {
      resources?.dispose();
    } catch (e) {
      this.options.log?.(`releasing client ${clientId} failed: ${(e as Error).message}`);
    }
  }

  // A request still running when its client is released keeps the released (disposed) map:
  // whatever it adds there is released at once instead of leaking.
  private clientResources(clientId: string): DisposableMap<string> {
    let c = this.clients.get(clientId);
    if (!c) {
      c = new DisposableMap<string>();
      this.clients.set(clientId, c);
    }
    return c;
  }

  private bucketFor(clientId: string): TokenBucket {
    let b = this.buckets.get(clientId);
    if (!b) {
      b = new TokenBucket(this.rate.ratePerSecond, this.rate.burst);
      this.buckets.set(clientId, b);
    }
    return b;
  }
}

export function byteLengthOf(payload: unknown): number {
  if (payload === undefined) return 0;
  try {
    return new TextEncoder().encode(JSON.stringify(payload)).length;
  } catch {
    // Cyclic or otherwise unserialisable: treat as too large to be a legitimate request.
    return Number.MAX_SAFE_INTEGER;
  }
}
