import { fleetStopReport, type FleetStopReport, type FleetWorkerStop } from '../../../shared/ipc/fleet';
import type { ControlChannel } from '../control';

/*
 * A STOP of a fleet session (remote-stop.ts): the answers of the workers that hold its story
 * runs, collected per host, and added to the stop's result.
 */

/** The default time fleet workers have to answer a STOP. */
export const FLEET_STOP_GRACE_MS = 10_000;

export type Holder = Omit<FleetWorkerStop, 'answered' | 'stoppedAgents' | 'aliveAfter'>;

/**
 * Collects the answers of the fleet workers that hold story runs of the session (subscribed
 * before the STOP goes out). A worker that took a story run after the holders were read and
 * answers too is counted; one of the holders that has not answered when the grace ends is
 * reported as not answering.
 */
export async function fleetAnswers(channel: ControlChannel, sessionId: string, holders: readonly Holder[]) {
  const answers = new Map<string, FleetWorkerStop>();
  let wake: (() => void) | null = null;
  const allAnswered = () => holders.every((h) => answers.has(h.workerId));
  const sub = await channel.subscribe((env) => {
    const m = env.message;
    if (m.kind !== 'fleet-stopped' || m.sessionId !== sessionId) return;
    const { workerId, name, host, pid, stoppedAgents, aliveAfter } = m;
    answers.set(workerId, { workerId, name, host, pid, answered: true, stoppedAgents, aliveAfter });
    if (allAnswered()) wake?.();
  });
  return {
    async collect(graceMs: number): Promise<FleetStopReport> {
      if (!allAnswered())
        await new Promise<void>((r) => {
          const t = setTimeout(r, graceMs);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      const silent = holders
        .filter((h) => !answers.has(h.workerId))
        .map((h) => ({ ...h, answered: false, stoppedAgents: 0, aliveAfter: 0 }));
      return fleetStopReport([...answers.values(), ...silent], graceMs);
    },
    dispose: () => sub.dispose(),
  };
}

/** One line per host: "host: N stopped, M alive (w1, w2)", or that it did not answer. */
function describeFleet(f: FleetStopReport): string {
  const hosts = f.hosts.map((h) =>
    h.answered
      ? `${h.host}: ${h.stoppedAgents} agent group(s) stopped, ${h.aliveAfter} alive (${h.workers.map((w) => w.name).join(', ')})`
      : `${h.host}: did not answer within ${Math.round(f.graceMs / 1000)} s (${h.workers
          .filter((w) => !w.answered)
          .map((w) => `${w.name}, pid ${w.pid}`)
          .join('; ')})`,
  );
  return hosts.length ? ` Fleet: ${hosts.join('; ')}.` : '';
}

/** A stop's result with the fleet's counts added to its totals and its message. */
export function withFleet<R extends { stoppedAgents: number; aliveAfter: number; message: string }>(
  r: R,
  fleet: FleetStopReport | null,
): R & { fleet?: FleetStopReport } {
  if (!fleet) return r;
  const stopped = fleet.hosts.reduce((n, h) => n + h.stoppedAgents, 0);
  const alive = fleet.hosts.reduce((n, h) => n + h.aliveAfter, 0);
  return {
    ...r,
    stoppedAgents: r.stoppedAgents + stopped,
    aliveAfter: r.aliveAfter + alive,
    message: `${r.message}${describeFleet(fleet)}`,
    fleet,
  };
}
