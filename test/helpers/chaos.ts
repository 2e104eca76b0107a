/**
 * How many kill/crash rounds a chaos test runs: a few in `npm test` (the proof still runs
 * and can fail, in seconds), many in `npm run test:chaos` (WAVE_CHAOS=1), where rare
 * interleavings get their chance.
 */
export function chaosRounds(quick: number, long: number): number {
  return process.env.WAVE_CHAOS === '1' ? long : quick;
}

/**
 * A test timeout that grows with the rounds it runs, so a busy machine that makes each round
 * slower does not turn a long run into a failure: `perRoundMs` is a generous bound for one
 * round (a process start, a store open with crash recovery, some writes), never the expected time.
 */
export function chaosTimeout(rounds: number, perRoundMs: number, setupMs = 60_000): number {
  return setupMs + rounds * perRoundMs;
}
