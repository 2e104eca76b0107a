/** Key layout of the Redis event bus under one prefix (default "wave:"). */
export interface StreamKeys {
  /** The session's event stream, read by consumer groups. */
  session(sessionId: string): string;
  /** The session's broadcast stream (emergency_stop), read by every process without a group. */
  system(sessionId: string): string;
  /** Hash story → last seq of the session. */
  seq(sessionId: string): string;
  /** One dead-letter stream for all sessions (each entry names its session). */
  deadLetters: string;
}

export function streamKeys(prefix: string): StreamKeys {
  return {
    session: (id) => `${prefix}session:${id}`,
    system: (id) => `${prefix}system:${id}`,
    seq: (id) => `${prefix}seq:${id}`,
    deadLetters: `${prefix}dead-letters`,
  };
}

/**
 * Appends an event with its per-story seq in one atomic step, so seq order is stream order
 * even with several producers. Trims the stream to about MAXLEN, but never past the oldest
 * entry some consumer group has not acknowledged (or not yet read): an approximate MAXLEN
 * alone would silently drop unacknowledged work.
 *
 * KEYS: session stream, seq hash, system stream.
 * ARGV: story ("" = session-level), body JSON, seq (fixed) or floor, "1" = fixed seq,
 *       maxlen (0 = no trim), "1" = trim now, "1" = also to the system stream, system maxlen.
 * Returns {entry id, seq}.
 */
export const PUBLISH_SCRIPT = `
local function parse(id)
  local ms, sq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(sq)
end
local function before(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm end
  return as < bs
end

local story = ARGV[1]
local cur = tonumber(redis.call('HGET', KEYS[2], story) or '0')
local seq
if ARGV[4] == '1' then
  seq = tonumber(ARGV[3])
  if seq > cur then redis.call('HSET', KEYS[2], story, seq) end
else
  local floor = tonumber(ARGV[3])
  if floor > cur then cur = floor end
  seq = cur + 1
  redis.call('HSET', KEYS[2], story, seq)
end
local id = redis.call('XADD', KEYS[1], '*', 'seq', seq, 'e', ARGV[2])

local maxlen = tonumber(ARGV[5])
if maxlen > 0 and ARGV[6] == '1' then
  local len = redis.call('XLEN', KEYS[1])
  if len > maxlen then
    local excess = math.min(len - maxlen, 1000)
    local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess + 1)
    local minid = head[#head][1]
    local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
    for _, g in ipairs(groups) do
      local name, delivered
      for i = 1, #g, 2 do
        if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then delivered = g[i + 1] end
      end
      local keep = delivered
      local pending = redis.call('XPENDING', KEYS[1], name)
      if tonumber(pending[1]) > 0 then keep = pending[2] end
      if before(keep, minid) then minid = keep end
    end
    redis.call('XTRIM', KEYS[1], 'MINID', '~', minid)
  end
end

if ARGV[7] == '1' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'seq', seq, 'e', ARGV[2])
end
return {id, seq}
`;
