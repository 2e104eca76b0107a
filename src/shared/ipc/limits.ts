/** Largest request payload any transport accepts, in bytes of its JSON form. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Token bucket per window / per WebSocket client. */
export const RATE_LIMIT = { ratePerSecond: 20, burst: 40 } as const;
