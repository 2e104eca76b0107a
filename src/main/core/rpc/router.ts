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
import { clientDbError, describeDbError } from '../../store/db-errors';
import { AppError } from './app-error';
import { TokenBucket } from './token-bucket';

export interface CallContext {
  /** Stable id of the window / WebSocket connection that sent the request. */
  clientId: string;
  transport: 'electron' | 'websocket';
}

export type RequestHandlers = {
  [N in RequestName]: (request: ParsedRequestOf<N>, ctx: CallContext) => Promise<ResponseOf<N>> | ResponseOf<N>;
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
      return err('payload_too_large', `Request ${String(method).slice(0, 64)} is ${size} bytes; the limit is ${this.maxBytes} bytes. Send less data per request.`);
    }
    if (!isRequestName(method)) {
      return err('unknown_method', `There is no request named "${String(method).slice(0, 64)}". Requests are named domain.verb and listed in src/shared/ipc/contract.ts.`);
    }
    if (!this.bucketFor(ctx.clientId).tryTake()) {
      return err('rate_limited', `Too many requests from this window (limit ${this.rate.ratePerSecond}/s, burst ${this.rate.burst}). Wait a moment and retry.`);
    }
    const spec = requests[method];
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) {
      return err('invalid_request', `Invalid ${method} request: ${describeIssues(parsed.error.issues)}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      });
    }
    try {
      const handler = this.handlers[method] as (r: unknown, c: CallContext) => Promise<unknown> | unknown;
      const value = await handler(parsed.data, ctx);
      if (this.options.validateResponses) {
        const checked = spec.response.safeParse(value);
        if (!checked.success) {
          this.options.log?.(`response of ${method} broke the contract: ${describeIssues(checked.error.issues)}`);
          return err('internal', `The core produced an invalid ${method} response; this is a bug. Details are in the log.`);
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

  /** Forget a client's rate-limit state when its window or socket closes. */
  release(clientId: string): void {
    this.buckets.delete(clientId);
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
