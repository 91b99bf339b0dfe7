import { Clock } from '../common';

/** A clock that stands still until a test moves it (`gatehouse/testing`). */
export class ManualClock extends Clock {
  constructor(private current: number = Date.now()) {
    super();
  }

  now(): number {
    return this.current;
  }

  set(epochMs: number): void {
    this.current = epochMs;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
