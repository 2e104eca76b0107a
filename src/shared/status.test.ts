import { describe, expect, it } from 'vitest';
import {
  ACTIVE_SESSION_STATUSES,
  FINAL_SESSION_STATUSES,
  FINAL_STORY_STATUSES,
  SESSION_STATUSES,
  STORY_RUN_STATUSES,
  UNFINISHED_STORY_STATUSES,
  isActiveSession,
  isFinalStory,
} from './status';

describe('status sets', () => {
  it('split every session status into active or final, never both', () => {
    expect([...ACTIVE_SESSION_STATUSES, ...FINAL_SESSION_STATUSES].sort()).toEqual([...SESSION_STATUSES].sort());
    for (const s of SESSION_STATUSES)
      expect(isActiveSession(s), s).toBe(!(FINAL_SESSION_STATUSES as readonly string[]).includes(s));
  });

  it('split every story status into final or unfinished, never both', () => {
    expect([...FINAL_STORY_STATUSES, ...UNFINISHED_STORY_STATUSES].sort()).toEqual([...STORY_RUN_STATUSES].sort());
    expect(UNFINISHED_STORY_STATUSES).toEqual(['queued', 'running', 'blocked', 'stopped']);
    for (const s of STORY_RUN_STATUSES) expect(isFinalStory(s), s).toBe(!UNFINISHED_STORY_STATUSES.includes(s));
  });
});
