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

/* Shared by the reservation scripts: counters as {f, w, l, c} with l = -1 when never locked. */
const COUNTER_IO = `
local function load(key)
  local v = redis.call('HMGET', key, 'f', 'w', 'l', 'c')
  if not v[2] then return nil end
  return {tonumber(v[1]), tonumber(v[2]), tonumber(v[3] or -1), tonumber(v[4])}
end
local function store(key, c, windowMs, now, index)
  redis.call('DEL', key)
  redis.call('HSET', key, 'f', c[1], 'w', c[2], 'c', c[4])
  if c[3] ~= -1 then redis.call('HSET', key, 'l', c[3]) end
  local expiresAt = c[2] + windowMs
  if c[3] ~= -1 and c[3] + windowMs > expiresAt then expiresAt = c[3] + windowMs end
  local ttl = expiresAt - now
  if ttl <= 0 then
    redis.call('DEL', key)
    return
  end
  redis.call('PEXPIRE', key, ttl)
  if index then
    redis.call('SADD', index, key)
    if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
  end
end
local function flat(out, c)
  if c then
    for j = 1, 4 do out[#out + 1] = c[j] end
  else
    for j = 1, 4 do out[#out + 1] = -1 end
  end
end
`;

/**
 * The reservation of `reservationOf` (throttle.store.ts), in one script so that it is atomic
 * across instances. KEYS[1..n]: the counters; then the pair indexes named by position.
 * ARGV: now, n, then per subject: lockIgnored (0/1), index key position (0: none),
 * maxFailures, windowMs, the number of lock durations, the durations.
 * Returns {0, lockedUntil per subject (-1: not locked)} when refused, or
 * {1, per subject: counted, lockedNow, before f w l c, after f w l c} (-1 where absent).
 */
export const RESERVE_SCRIPT = new LuaScript(`${COUNTER_IO}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local subjects = {}
local a = 3
for i = 1, n do
  local s = {
    ignored = tonumber(ARGV[a]) == 1,
    index = tonumber(ARGV[a + 1]),
    max = tonumber(ARGV[a + 2]),
    window = tonumber(ARGV[a + 3]),
    durations = {},
  }
  local count = tonumber(ARGV[a + 4])
  for j = 1, count do s.durations[j] = tonumber(ARGV[a + 4 + j]) end
  a = a + 5 + count
  s.before = load(KEYS[i])
  s.locked = s.before ~= nil and s.before[3] ~= -1 and s.before[3] > now
  subjects[i] = s
end

local refused = false
for i = 1, n do
  if subjects[i].locked and not subjects[i].ignored then refused = true end
end
if refused then
  local out = {0}
  for i = 1, n do
    local s = subjects[i]
    if s.locked and not s.ignored then out[#out + 1] = s.before[3] else out[#out + 1] = -1 end
  end
  return out
end

local out = {1}
for i = 1, n do
  local s = subjects[i]
  if s.locked then
    out[#out + 1] = 0
    out[#out + 1] = 0
    flat(out, nil)
    flat(out, nil)
  else
    local c
    if s.before then
      c = {s.before[1], s.before[2], s.before[3], s.before[4]}
    else
      c = {0, now, -1, 0}
    end
    if c[2] + s.window <= now then
      if c[3] == -1 or c[3] + s.window <= now then c[4] = 0 end
      c[1] = 0
      c[2] = now
    end
    c[1] = c[1] + 1
    local lockedNow = 0
    if c[1] >= s.max then
      c[3] = now + s.durations[math.min(c[4], #s.durations - 1) + 1]
      c[4] = c[4] + 1
      c[1] = 0
      c[2] = now
      lockedNow = 1
    end
    local index = nil
    if s.index > 0 then index = KEYS[s.index] end
    store(KEYS[i], c, s.window, now, index)
    out[#out + 1] = 1
    out[#out + 1] = lockedNow
    flat(out, s.before)
    flat(out, c)
  end
end
return out
`);

/**
 * The release of `releasedCounter` (throttle.store.ts). KEYS[1..n]: the counters.
 * ARGV: now, n, then per subject: windowMs, counted, lockedNow, before f w l c, after f w l c
 * (-1 where absent). Returns nothing useful.
 */
export const RELEASE_SCRIPT = new LuaScript(`${COUNTER_IO}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
for i = 1, n do
  local a = 3 + (i - 1) * 11
  local windowMs = tonumber(ARGV[a])
  local counted = tonumber(ARGV[a + 1]) == 1
  local lockedNow = tonumber(ARGV[a + 2]) == 1
  local before = {tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])}
  local after = {tonumber(ARGV[a + 7]), tonumber(ARGV[a + 8]), tonumber(ARGV[a + 9]), tonumber(ARGV[a + 10])}
  local current = load(KEYS[i])
  if counted and after[2] ~= -1 and current then
    if lockedNow then
      if current[3] == after[3] and current[4] == after[4] then
        if before[2] == -1 then redis.call('DEL', KEYS[i]) else store(KEYS[i], before, windowMs, now, nil) end
      end
    elseif current[2] == after[2] and current[3] == after[3] and current[4] == after[4] and current[1] > 0 then
      redis.call('HSET', KEYS[i], 'f', current[1] - 1)
    end
  end
end
return 0
`);
