import { LuaScript } from './lua-script';

/*
 * One counter is a hash: f = failures, w = window start, l = lock end (absent when never
 * locked), c = lock count; times in epoch ms from the application clock (the same clock as the
 * database store). Each key expires once it can no longer change a decision (window over and
 * last lock ended a window ago), measured relatively (PEXPIRE), so Redis's own clock is never
 * mixed with the application's. Pair keys are indexed per username for `clearUsername`.
 */

const READ_COUNTER = `
local function counter(key)
  local v = redis.call('HMGET', key, 'f', 'w', 'l', 'c')
  if not v[2] then return {-1, -1, -1, -1} end
  return {tonumber(v[1]), tonumber(v[2]), tonumber(v[3] or -1), tonumber(v[4])}
end
`;

/** KEYS: the counters. Returns 4 integers per key: f, w, l, c (-1 for absent). */
export const READ_SCRIPT = new LuaScript(`${READ_COUNTER}
local out = {}
for i = 1, #KEYS do
  local one = counter(KEYS[i])
  for j = 1, 4 do out[#out + 1] = one[j] end
end
return out
`);

/**
 * KEYS[1]: the counter; KEYS[2], for a pair only: its username's pair index.
 * ARGV: now, maxFailures, windowMs, then the lock durations.
 * Returns {counted, lockedNow, f, w, l, c}: the FailurePolicy of throttle.store.ts.
 */
export const RECORD_FAILURE_SCRIPT = new LuaScript(`
local key = KEYS[1]
local now = tonumber(ARGV[1])
local maxFailures = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[3])
local durations = {}
for i = 4, #ARGV do durations[#durations + 1] = tonumber(ARGV[i]) end

local v = redis.call('HMGET', key, 'f', 'w', 'l', 'c')
local failures, windowStart, lockedUntil, lockCount
if v[2] then
  failures = tonumber(v[1])
  windowStart = tonumber(v[2])
  lockedUntil = v[3] and tonumber(v[3]) or nil
  lockCount = tonumber(v[4])
  if lockedUntil and lockedUntil > now then return {0, 0, -1, -1, -1, -1} end
  local windowOver = windowStart + windowMs <= now
  if windowOver and (lockedUntil == nil or lockedUntil + windowMs <= now) then lockCount = 0 end
  if windowOver then
    failures = 1
    windowStart = now
  else
    failures = failures + 1
  end
else
  failures = 1
  windowStart = now
  lockedUntil = nil
  lockCount = 0
end

local lockedNow = 0
if failures >= maxFailures then
  lockedUntil = now + durations[math.min(lockCount, #durations - 1) + 1]
  lockCount = lockCount + 1
  failures = 0
  windowStart = now
  lockedNow = 1
end

redis.call('HSET', key, 'f', failures, 'w', windowStart, 'c', lockCount)
if lockedUntil then redis.call('HSET', key, 'l', lockedUntil) end
local expiresAt = windowStart + windowMs
if lockedUntil and lockedUntil + windowMs > expiresAt then expiresAt = lockedUntil + windowMs end
local ttl = expiresAt - now
redis.call('PEXPIRE', key, ttl)
if KEYS[2] then
  redis.call('SADD', KEYS[2], key)
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return {1, lockedNow, failures, windowStart, lockedUntil or -1, lockCount}
`);

/** KEYS[1]: the pair counter; KEYS[2]: its username's pair index. Returns the counter it deleted. */
export const RESET_PAIR_SCRIPT = new LuaScript(`${READ_COUNTER}
local before = counter(KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], KEYS[1])
return before
`);

/** KEYS[1]: the username counter; KEYS[2]: its pair index. Deletes both and every indexed pair. */
export const CLEAR_USERNAME_SCRIPT = new LuaScript(`
local members = redis.call('SMEMBERS', KEYS[2])
for i = 1, #members do redis.call('DEL', members[i]) end
redis.call('DEL', KEYS[1], KEYS[2])
return #members
`);

/**
 * ARGV[1]: the cutoff (now - windowMs); ARGV[2..]: full key names found by SCAN (passed as
 * arguments, because the client would prefix KEYS a second time). Deletes the counters whose
 * window started and whose last lock ended at or before the cutoff; returns how many.
 */
export const PURGE_SCRIPT = new LuaScript(`
local cutoff = tonumber(ARGV[1])
local deleted = 0
for i = 2, #ARGV do
  local key = ARGV[i]
  if redis.call('TYPE', key).ok == 'hash' then
    local v = redis.call('HMGET', key, 'w', 'l')
    if v[1] and tonumber(v[1]) <= cutoff and ((not v[2]) or tonumber(v[2]) <= cutoff) then
      redis.call('DEL', key)
      deleted = deleted + 1
    end
  end
end
return deleted
`);
