import { Options, Params, SingleBar } from 'cli-progress';

/** What a long command counts: events (reviews, retention), bytes (files), migrations. */
export type ProgressUnit = 'events' | 'bytes' | 'migrations';

export interface Progress {
  /**
   * Work done so far (not an increment); `total` when it is known only once the command has
   * started (after a COUNT), `step` names the part under way (a migration).
   */
  readonly update: (done: number, more?: { total?: number; step?: string }) => void;
  /** Draws the last state and ends the bar; safe to call twice, and to pass as a callback. */
  readonly stop: () => void;
}

export interface ProgressOptions {
  total?: number;
  /** Default: stderr, so `--json` output on stdout stays one document. */
  stream?: NodeJS.WriteStream;
  /** How often a line is printed when the stream is not a terminal. Default: 2 s. */
  lineIntervalMs?: number;
}

/** Plain lines in pipes and log files are printed this often. */
export const PROGRESS_LINE_INTERVAL_MS = 2000;

const number = new Intl.NumberFormat('en-US');

function amount(value: number, unit: ProgressUnit): string {
  if (unit !== 'bytes') return number.format(Math.round(value));
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  if (value < 1024 * 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return `${(value / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The figures every line shows: percentage, done/total, rate (the average since the start, so
 * it does not jitter with page sizes) and the ETA at that rate.
 */
export function progressFigures(
  done: number,
  total: number,
  elapsedMs: number,
  unit: ProgressUnit,
): { fraction: number; percentage: string; counts: string; rate: string; eta: string } {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const perSecond = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const remaining = Math.max(0, total - done);
  const unitName = unit === 'bytes' ? '' : ` ${unit}`;
  return {
    fraction,
    percentage: `${Math.floor(fraction * 100)}%`,
    counts: `${amount(done, unit)}/${amount(total, unit)}${unitName}`,
    rate: `${amount(perSecond, unit)}${unit === 'bytes' ? '' : ` ${unit}`}/s`,
    eta: remaining === 0 ? '0s' : perSecond > 0 ? duration(remaining / perSecond) : '?',
  };
}

/**
 * One progress display for every long command (reviews, retention, migrations), on stderr.
 * On a terminal: a cli-progress bar redrawn in place. Elsewhere (a pipe, a log file, CI): a
 * plain line when the total is known, then at most one every `lineIntervalMs`, and a last one.
 * Lines are printed from `update()`, not from a timer: a SQLite review reads synchronously and
 * leaves timers no turn. Nothing is shown while the total is unknown or zero (nothing to do).
 */
export function startProgress(
  label: string,
  unit: ProgressUnit,
  options: ProgressOptions = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY === true
    ? terminalProgress(label, unit, stream, options.total)
    : lineProgress(label, unit, stream, options.total, options.lineIntervalMs);
}

function describeStep(step: string | undefined): string {
  return step ? ` (${step})` : '';
}

function terminalProgress(
  label: string,
  unit: ProgressUnit,
  stream: NodeJS.WriteStream,
  initialTotal: number | undefined,
): Progress {
  const format = (_options: Options, params: Params, payload: { step?: string }): string => {
    const elapsed = (params.stopTime ?? Date.now()) - params.startTime;
    const figures = progressFigures(params.value, params.total, elapsed, unit);
    const width = 24;
    const filled = Math.round(figures.fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    return `${label} ${bar} ${figures.percentage} | ${figures.counts} | ${figures.rate} | ETA ${figures.eta}${describeStep(payload.step)}`;
  };
  const bar = new SingleBar({
    stream,
    format,
    fps: 5,
    // The final state stays on screen; the command's own output follows on stdout.
    clearOnComplete: false,
    hideCursor: false,
    // Ctrl-C is handled by the command (src/cli/interrupt.ts), which stops the bar itself.
    gracefulExit: false,
  });
  return trackProgress(initialTotal, {
    start: (total, done, step) => bar.start(total, done, { step }),
    update: (total, done, step) => {
      if (bar.getTotal() !== total) bar.setTotal(total);
      bar.update(done, { step });
    },
    stop: () => bar.stop(),
  });
}

function lineProgress(
  label: string,
  unit: ProgressUnit,
  stream: NodeJS.WriteStream,
  initialTotal: number | undefined,
  intervalMs = PROGRESS_LINE_INTERVAL_MS,
): Progress {
  let startedAt = 0;
  let printedAt = 0;
  let printed = '';
  const print = (total: number, done: number, step: string | undefined, now: number): void => {
    const figures = progressFigures(done, total, now - startedAt, unit);
    const text = `${label}${describeStep(step)}: ${figures.percentage}, ${figures.counts}, ${figures.rate}, ETA ${figures.eta}`;
    printedAt = now;
    printed = `${total}:${done}:${step ?? ''}`;
    stream.write(`${text}\n`);
  };
  let last: [number, number, string | undefined] = [0, 0, undefined];
  return trackProgress(initialTotal, {
    start: (total, done, step) => {
      startedAt = Date.now();
      last = [total, done, step];
      print(total, done, step, startedAt);
    },
    update: (total, done, step) => {
      last = [total, done, step];
      const now = Date.now();
      if (now - printedAt >= intervalMs) print(total, done, step, now);
    },
    stop: () => {
      const [total, done, step] = last;
      if (printed !== `${total}:${done}:${step ?? ''}`) print(total, done, step, Date.now());
    },
  });
}

interface ProgressDisplay {
  start(total: number, done: number, step: string | undefined): void;
  update(total: number, done: number, step: string | undefined): void;
  stop(): void;
}

/** The state both displays share: shown once a total above zero is known, stopped once. */
function trackProgress(initialTotal: number | undefined, display: ProgressDisplay): Progress {
  let total = initialTotal;
  let done = 0;
  let step: string | undefined;
  let started = false;
  let stopped = false;
  const show = (): void => {
    if (stopped || total === undefined || total <= 0) return;
    if (started) {
      display.update(total, done, step);
      return;
    }
    started = true;
    display.start(total, done, step);
  };
  show();
  return {
    update: (value, more = {}) => {
      done = value;
      if ('step' in more) step = more.step;
      if (more.total !== undefined) total = Math.max(more.total, value);
      show();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (started) display.stop();
    },
  };
}
