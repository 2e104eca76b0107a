import { inertText } from '../../shared/text';

/*
 * Every CLI printer writes through these streams: whatever a story, a PRD, an agent or a
 * config put in the text reaches the terminal inert (shared/text/inert.ts). WAVE's own
 * cursor control (the live progress area of `wave run`) is the one thing written raw,
 * through rawStream().
 */

const RAW = Symbol('wave.rawStream');

/** `stream` with every written chunk passed through inertText. */
export function inertStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  if ((stream as { [RAW]?: unknown })[RAW]) return stream;
  return new Proxy(stream, {
    get(target, prop) {
      if (prop === RAW) return target;
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => {
          const text =
            typeof chunk === 'string'
              ? chunk
              : chunk instanceof Uint8Array
                ? Buffer.from(chunk).toString('utf8')
                : chunk;
          return (target.write as (...a: unknown[]) => boolean)(
            typeof text === 'string' ? inertText(text) : text,
            ...rest,
          );
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The stream under an inert one, for WAVE's own terminal control sequences only. */
export function rawStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  return (stream as { [RAW]?: NodeJS.WritableStream })[RAW] ?? stream;
}
