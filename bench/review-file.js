'use strict';
/**
 * Scenario (e): the offline review as users run it, `gatehouse audit:review --file <file>`,
 * whole process (start, read, detectors, output), against `fail2ban-regex` with a one-regex
 * filter over the same file, interleaved, and `grep -c` as the floor. Also the gzipped file,
 * and the time from process start to a reviewed line (a one-line file, whole process).
 * fail2ban-regex is not a dependency: without it (Debian: `apt-get install -y fail2ban`) the
 * comparison is skipped and says so.
 */
const { spawnSync } = require('node:child_process');
const {
  createReadStream,
  createWriteStream,
  readFileSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { pipeline } = require('node:stream/promises');
const { join } = require('node:path');
const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { createGzip } = require('node:zlib');
const u = require('./lib/util');
const { missingFindings } = require('./lib/synthetic-events');

/** The filter of the comparison (issue 16): one failregex, the audit line's own timestamp. */
const FAIL2BAN_FILTER = `[Definition]
failregex = "type":"authn_login_fail".*"ip":"<HOST>"
ignoreregex =
datepattern = "ts":"%%Y-%%m-%%dT%%H:%%M:%%S
`;

function fail2banRegex() {
  const found = spawnSync('fail2ban-regex', ['--version'], { encoding: 'utf8' });
  return found.error ? undefined : (found.stdout || found.stderr).trim().split('\n')[0];
}

/** Runs a command whole, timed; its peak RSS and CPU through GNU time when there is one. */
function timed(command, args, env) {
  const gnuTime = '/usr/bin/time';
  const useTime = spawnSync(gnuTime, ['-f', '%M', 'true']).status === 0;
  const started = performance.now();
  const run = useTime
    ? spawnSync(gnuTime, ['-f', 'RUSAGE %M %U %S', command, ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
        env,
      })
    : spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, env });
  const wallMs = performance.now() - started;
  if (run.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  const rusage = /RUSAGE (\d+) ([\d.]+) ([\d.]+)/.exec(run.stderr ?? '');
  return {
    wallMs,
    stdout: run.stdout,
    peakRssMiB: rusage ? Number(rusage[1]) / 1024 : undefined,
    cpuSeconds: rusage ? Number(rusage[2]) + Number(rusage[3]) : undefined,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function summary(runs) {
  return {
    wallMs: median(runs.map((run) => run.wallMs)),
    runsMs: runs.map((run) => run.wallMs),
    cpuSeconds: median(runs.map((run) => run.cpuSeconds ?? Number.NaN)),
    peakRssMiB: Math.max(...runs.map((run) => run.peakRssMiB ?? 0)) || undefined,
  };
}

async function offlineScenario({ jsonl, dir, events, repetitions, env }) {
  const gz = `${jsonl}.gz`;
  await pipeline(createReadStream(jsonl), createGzip(), createWriteStream(gz));
  const filter = join(dir, 'gatehouse-audit.conf');
  writeFileSync(filter, FAIL2BAN_FILTER);
  const oneLine = join(dir, 'audit-one-line.jsonl');
  writeFileSync(oneLine, `${readFileSync(jsonl, 'utf8').slice(0, 2000).split('\n')[0]}\n`);
  const review = (file) =>
    timed(process.execPath, [u.CLI, 'audit:review', '--file', file, '--json'], env);
  const fail2ban = fail2banRegex();
  const loadAverage = os.loadavg()[0];

  // Interleaved: gatehouse, fail2ban-regex, gatehouse, fail2ban-regex, …
  const plain = [];
  const f2b = [];
  const gzipped = [];
  let result;
  for (let i = 0; i < repetitions; i += 1) {
    u.log(`(e) audit:review --file, run ${i + 1}/${repetitions}…`);
    const run = review(jsonl);
    result = JSON.parse(run.stdout);
    plain.push(run);
    if (fail2ban) {
      u.log(`(e) fail2ban-regex, run ${i + 1}/${repetitions}…`);
      const f2bRun = timed('fail2ban-regex', [jsonl, filter], env);
      f2bRun.matched = Number(
        /Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(f2bRun.stdout)?.[1],
      );
      delete f2bRun.stdout;
      f2b.push(f2bRun);
    }
    u.log(`(e) audit:review --file on the gzipped file, run ${i + 1}/${repetitions}…`);
    const gzRun = review(gz);
    if (JSON.parse(gzRun.stdout).eventsReviewed !== result.eventsReviewed)
      throw new Error('the gzipped file gave a different number of events');
    gzipped.push(gzRun);
  }
  const firstLine = [];
  for (let i = 0; i < 5; i += 1) firstLine.push(review(oneLine).wallMs);
  const grepStarted = performance.now();
  const grep = spawnSync('grep', ['-c', '"type":"authn_login_', jsonl], { encoding: 'utf8' });
  const grepMs = performance.now() - grepStarted;

  const findings = result.findings.map((finding) => ({
    rule: finding.rule,
    subject: finding.subject,
  }));
  const gatehouse = summary(plain);
  const fail2banSummary = fail2ban
    ? { version: fail2ban, ...summary(f2b), matched: f2b[0].matched }
    : undefined;
  const gzipSummary = summary(gzipped);
  rmSync(gz, { force: true });
  return {
    events,
    eventsReviewed: result.eventsReviewed,
    skippedLines: result.skippedLines,
    command: 'gatehouse audit:review --file <file> --json',
    loadAverage,
    loadAverageAfter: os.loadavg()[0],
    ...gatehouse,
    eventsPerSec: result.eventsReviewed / (gatehouse.wallMs / 1000),
    findings: findings.length,
    missing: missingFindings(findings),
    errors: result.errors,
    gzip: {
      ...gzipSummary,
      ratioToFail2ban: fail2banSummary ? fail2banSummary.wallMs / gzipSummary.wallMs : undefined,
    },
    firstLineMs: {
      median: median(firstLine),
      runs: firstLine,
      how: 'whole process over a one-line file (an upper bound)',
    },
    fail2ban: fail2banSummary
      ? {
          ...fail2banSummary,
          command: 'fail2ban-regex <file> <filter>',
          filter: FAIL2BAN_FILTER,
          ratio: fail2banSummary.wallMs / gatehouse.wallMs,
          cpuRatio: fail2banSummary.cpuSeconds / gatehouse.cpuSeconds,
        }
      : { skipped: 'fail2ban-regex not found (Debian: apt-get install -y fail2ban)' },
    grep: {
      command: `grep -c '"type":"authn_login_' <file>`,
      matches: Number(grep.stdout.trim()),
      wallMs: grepMs,
      eventsPerSec: events / (grepMs / 1000),
    },
  };
}

module.exports = { offlineScenario, FAIL2BAN_FILTER };
