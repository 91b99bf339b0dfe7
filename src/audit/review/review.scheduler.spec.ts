import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AuditModuleOptions } from '../audit.module-definition';
import { REVIEW_JOB_NAME, ReviewScheduler } from './review.scheduler';
import type { ReviewService } from './review.service';

/** A review service that only counts the scheduled runs, or fails them. */
class FakeReviews {
  scheduled = 0;
  failWith?: Error;
  runScheduled(): Promise<void> {
    this.scheduled += 1;
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve();
  }
}

function scheduler(review?: Partial<NonNullable<AuditModuleOptions['review']>>) {
  const registry = new SchedulerRegistry();
  const reviews = new FakeReviews();
  const options = { review } as unknown as AuditModuleOptions;
  const instance = new ReviewScheduler(reviews as unknown as ReviewService, registry, options);
  instance.onApplicationBootstrap();
  const job = registry.getCronJob(REVIEW_JOB_NAME);
  return { job, reviews, stop: () => registry.deleteCronJob(REVIEW_JOB_NAME) };
}

describe('ReviewScheduler', () => {
  it('registers login-review at 23:00 in REVIEW_TIMEZONE through the SchedulerRegistry', () => {
    const { job, stop } = scheduler({ enabled: true, timeZone: 'America/New_York' });
    try {
      expect(job.isActive).toBe(true);
      const next = job.nextDate();
      expect(next.zoneName).toBe('America/New_York');
      expect([next.hour, next.minute, next.second]).toEqual([23, 0, 0]);
    } finally {
      stop();
    }
  });

  it('registers the job stopped when the review is off, or has no options (the CLI)', () => {
    for (const review of [{ enabled: false }, undefined]) {
      const { job, stop } = scheduler(review);
      expect(job.isActive).toBe(false);
      expect(job.nextDate().zoneName).toBe('UTC');
      stop();
    }
  });

  it('runs the scheduled review on a tick, and logs a failure instead of throwing', async () => {
    const { job, reviews, stop } = scheduler({ enabled: false });
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await job.fireOnTick();
      expect(reviews.scheduled).toBe(1);
      reviews.failWith = new Error('database unreachable');
      await job.fireOnTick();
      expect(reviews.scheduled).toBe(2);
      expect(logged).toHaveBeenCalledWith('The 23:00 review failed: database unreachable');
    } finally {
      logged.mockRestore();
      stop();
    }
  });
});
