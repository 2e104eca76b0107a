import type { EventName, EventOf, RequestName, RequestOf, ResponseOf } from './contract';
import type { Result } from './result';

type DomainOf<N> = N extends `${infer D}.${string}` ? D : never;
type VerbOf<N, D extends string> = N extends `${D}.${infer V}` ? V : never;

export type RequestFn<N extends RequestName> = (payload: RequestOf<N>) => Promise<Result<ResponseOf<N>>>;

/** `window.wave.app.info({})` style API: one function per contract request, nothing generic. */
export type WaveRequests = {
  [D in DomainOf<RequestName>]: {
    [V in VerbOf<RequestName, D>]: `${D}.${V}` extends RequestName ? RequestFn<`${D}.${V}`> : never;
  };
};

export interface EventMeta {
  seq: number;
}

export interface WaveEvents {
  on<E extends EventName>(name: E, listener: (payload: EventOf<E>, meta: EventMeta) => void): () => void;
}

export type WaveApi = WaveRequests & WaveEvents & { readonly transport: 'electron' | 'websocket' };

/** Builds the nested request object from a flat caller; shared by preload and the WS client. */
export function buildRequests(
  names: readonly RequestName[],
  call: (name: RequestName, payload: unknown) => Promise<Result<unknown>>,
): WaveRequests {
  const api: Record<string, Record<string, (payload: unknown) => Promise<Result<unknown>>>> = {};
  for (const name of names) {
    const dot = name.indexOf('.');
    const domain = name.slice(0, dot);
    const verb = name.slice(dot + 1);
    const group = (api[domain] ??= {});
    group[verb] = (payload: unknown) => call(name, payload ?? {});
  }
  return api as unknown as WaveRequests;
}
