'use strict';
/**
 * (h) Login timing after the argon2 parameters are raised (API.md timing rule, issue 10 item 5):
 * medians of the password work for an unknown user (dummy hash at the current parameters), a
 * wrong password against a hash made with the OLD (weaker) parameters, and a disabled user
 * (same check as a wrong password). In-process, through the built PasswordHasher, interleaved
 * so that machine load hits the three alike. The bar: the three medians within 20 %.
 * Run alone: `node bench/run.js --skip-build --only=h`.
 */
const { join } = require('node:path');
const { performance } = require('node:perf_hooks');
const u = require('./lib/util');

const OLD = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const CURRENT = { memoryCost: 19456 * 2, timeCost: 3, parallelism: 1 };

async function loginTiming(rounds = 15) {
  const { PasswordHasher } = require(join(u.ROOT, 'dist', 'users'));
  const old = new PasswordHasher(OLD, { maxConcurrent: 1 });
  const current = new PasswordHasher(CURRENT, { maxConcurrent: 1 });
  const weakHash = await old.hash('the-real-password-123');
  // Warm-up: the dummy and padding hashes are made once, not timed.
  await current.verifyDummy('warm-up');
  await current.verify(weakHash, 'warm-up');
  const samples = { unknown: [], wrongPassword: [], disabled: [] };
  const time = async (name, check) => {
    const started = performance.now();
    await check();
    samples[name].push(performance.now() - started);
  };
  for (let round = 0; round < rounds; round += 1) {
    await time('unknown', () => current.verifyDummy(`guess-${round}`));
    await time('wrongPassword', () => current.verify(weakHash, `guess-${round}`));
    // A disabled user's login checks the password the same way before refusing.
    await time('disabled', () => current.verify(weakHash, 'the-real-password-123'));
  }
  const medians = Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      u.round(
        u.percentile(
          [...values].sort((a, b) => a - b),
          50,
        ),
        1,
      ),
    ]),
  );
  const values = Object.values(medians);
  const spread = Math.max(...values) / Math.min(...values) - 1;
  return {
    oldParameters: OLD,
    currentParameters: CURRENT,
    rounds,
    mediansMs: medians,
    spreadPercent: u.round(spread * 100, 1),
    pass: spread <= 0.2,
  };
}

module.exports = { loginTiming };
