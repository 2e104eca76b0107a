import { describe, expect, it } from 'vitest';
import { judgeOwner } from './session-lease';

const here = { host: 'here', leaseMs: 15_000 };

describe('judgeOwner', () => {
  it('treats a fresh heartbeat from a live local process as alive', () => {
    expect(
      judgeOwner({ ownerPid: 10, ownerHost: 'here', heartbeatAgeMs: 1000 }, { ...here, isAlive: () => true }),
    ).toEqual({ alive: true });
  });

  it('declares a session orphaned when its local owner died, even with a fresh heartbeat', () => {
    const v = judgeOwner({ ownerPid: 10, ownerHost: 'here', heartbeatAgeMs: 1000 }, { ...here, isAlive: () => false });
    expect(v).toEqual({ alive: false, reason: expect.stringMatching(/process 10 on here is no longer running/) });
  });

  it('relies on the lease for owners on other hosts', () => {
    const alive = () => {
      throw new Error('must not probe pids of another host');
    };
    expect(
      judgeOwner({ ownerPid: 10, ownerHost: 'there', heartbeatAgeMs: 5000 }, { ...here, isAlive: alive }).alive,
    ).toBe(true);
    const v = judgeOwner({ ownerPid: 10, ownerHost: 'there', heartbeatAgeMs: 60_000 }, { ...here, isAlive: alive });
    expect(v).toEqual({ alive: false, reason: expect.stringMatching(/no heartbeat .* for 60 s \(lease 15 s\)/) });
  });

  it('treats a session without owner or heartbeat as orphaned', () => {
    expect(judgeOwner({ ownerPid: null, ownerHost: null, heartbeatAgeMs: null }, here).alive).toBe(false);
    expect(judgeOwner({ ownerPid: 10, ownerHost: 'there', heartbeatAgeMs: null }, here).alive).toBe(false);
  });
});
