import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { errorMessage } from '../../common';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { ReviewService } from './review.service';

export const REVIEW_JOB_NAME = 'login-review';
/** Every day at 23:00 in REVIEW_TIMEZONE. */
export const REVIEW_CRON = '0 23 * * *';

/**
 * The 23:00 job, registered through `SchedulerRegistry.addCronJob` (the public API) rather
 * than `@Cron`: a decorator's arguments are fixed when the class loads, before any config
 * exists, and the zone (REVIEW_TIMEZONE) and REVIEW_ENABLED come from the config. The job is
 * always registered, so it can be inspected; it only starts when the review is enabled (the
 * CLI has no review options: it stays off). ScheduleModule stops it at shutdown.
 */
@Injectable()
export class ReviewScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('Review');

  constructor(
    private readonly reviews: ReviewService,
    private readonly registry: SchedulerRegistry,
    @InjectAuditOptions() private readonly options: AuditModuleOptions,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({
      cronTime: REVIEW_CRON,
      timeZone: this.options.review?.timeZone ?? 'UTC',
      onTick: () => this.nightlyReview(),
      // A review that outlasts a day never overlaps the next tick in this process.
      waitForCompletion: true,
      errorHandler: (error) => this.logger.error(`The 23:00 review failed: ${errorMessage(error)}`),
      start: false,
    });
    this.registry.addCronJob(REVIEW_JOB_NAME, job);
    if (this.options.review?.enabled === true) job.start();
  }

  /** The handler only calls the service; tests call `ReviewService.runScheduled()` directly. */
  async nightlyReview(): Promise<void> {
    await this.reviews.runScheduled();
  }
}
