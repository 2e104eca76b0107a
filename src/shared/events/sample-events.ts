import type { WaveEvent } from './event-schemas';

/** The envelope every sample event carries (the fields the bus fills in). */
export const SAMPLE_ENVELOPE = {
  id: '7d7f0a38-4a65-4c1f-9a55-2b0d5c2d9e11',
  session: 'sess-1',
  story: 'AUTH-001',
  seq: 3,
  produced_at: '2025-03-01T10:00:00.123456Z',
};

/** One valid example of every event type (tests, demos, docs). */
export const SAMPLE_EVENTS: readonly WaveEvent[] = [
  { ...SAMPLE_ENVELOPE, type: 'progress', message: 'writing tests', pct: 40, gate: 'gate-2' },
  {
    ...SAMPLE_ENVELOPE,
    type: 'usage',
    model: 'claude-sonnet',
    input_tokens: 10,
    output_tokens: 20,
    cache_read_tokens: 1,
    cache_write_tokens: 0,
    cost_usd: 0.01,
  },
  { ...SAMPLE_ENVELOPE, type: 'signal', signal: 'blocked', message: 'needs a secret' },
  { ...SAMPLE_ENVELOPE, type: 'gate_started', gate: 'gate-4', attempt: 1 },
  { ...SAMPLE_ENVELOPE, type: 'gate_passed', gate: 'gate-4', attempt: 1, duration_ms: 1200 },
  { ...SAMPLE_ENVELOPE, type: 'gate_failed', gate: 'gate-4', attempt: 2, reason: 'lint failed', will_retry: true },
  { ...SAMPLE_ENVELOPE, type: 'story_started', wave: 1, agent: 'claude-code', attempt: 1 },
  { ...SAMPLE_ENVELOPE, type: 'story_completed', merge_sha: 'abcdef1234567', duration_ms: 5 },
  { ...SAMPLE_ENVELOPE, type: 'story_failed', reason: 'qa failed 3 times', gate: 'gate-4' },
  { ...SAMPLE_ENVELOPE, type: 'escalation', reason: 'fix loop exhausted', attempts: 3 },
  { ...SAMPLE_ENVELOPE, story: null, type: 'budget_warning', spent_usd: 8, budget_usd: 10, pct: 80 },
  { ...SAMPLE_ENVELOPE, story: null, type: 'budget_exceeded', spent_usd: 10.5, budget_usd: 10 },
  { ...SAMPLE_ENVELOPE, story: null, type: 'session_paused', reason: 'lead paused', by: 'lead' },
  { ...SAMPLE_ENVELOPE, story: null, type: 'session_resumed', strategy: 'resume_from_last' },
  { ...SAMPLE_ENVELOPE, story: null, type: 'emergency_stop', reason: 'STOP pressed', by: 'lead', pid: 42 },
  { ...SAMPLE_ENVELOPE, type: 'checkpoint_saved', gate: 'gate-3', checkpoint_id: 17, state_hash: 'a'.repeat(64) },
  { ...SAMPLE_ENVELOPE, story: null, type: 'heartbeat', component: 'orchestrator', pid: 1 },
];
