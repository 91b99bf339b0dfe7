import type { INestApplicationContext } from '@nestjs/common';
import { Clock } from '../../src/common';
import { ManualClock } from '../../src/testing';

/**
 * Puts a running app's rules on a clock the test moves: every reader of the one `Clock`
 * (login locks, the review's night) reads the returned ManualClock from now on, starting at
 * the current time. For an app built by a helper that does not take overrides
 * (`Test.createTestingModule(...).overrideProvider(Clock)` is the way when building one).
 */
export function manualClockOf(app: INestApplicationContext): ManualClock {
  const manual = new ManualClock();
  jest.spyOn(app.get(Clock), 'now').mockImplementation(() => manual.now());
  return manual;
}
