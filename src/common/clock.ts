import { Injectable, Module } from '@nestjs/common';

/**
 * The one source of "now" (epoch milliseconds) for the rules that depend on time: lock
 * expiry, the review's night. An abstract class used as the injection token; tests replace it
 * (`Test.createTestingModule(...).overrideProvider(Clock).useValue(new ManualClock())`, or
 * `manualClockOf(app)` in test/support for an app already built) and
 * move time instead of waiting for it to pass.
 */
export abstract class Clock {
  abstract now(): number;
}

/** The wall clock. */
@Injectable()
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}

/** Provides `Clock` (the system clock) to the modules that read the time. */
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }],
  exports: [Clock],
})
export class ClockModule {}
