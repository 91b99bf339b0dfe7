import { Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { AuditModuleOptions, InjectAuditOptions } from '../audit.module-definition';
import { ReviewService } from './review.service';

export const REVIEW_JOB_NAME = 'login-review';
export const REVIEW_CRON = '0 23 * * *';

// @nestjs/schedule keeps a @Cron's options as metadata on the method under this key.
const CRON_OPTIONS_METADATA = 'SCHEDULE_CRON_OPTIONS';

/** The 23:00 job. It only calls the service; tests call `ReviewService.runScheduled()` directly. */
@Injectable()
export class ReviewScheduler {
  constructor(
    private readonly reviews: ReviewService,
    @InjectAuditOptions() options: AuditModuleOptions,
  ) {
    // Decorator arguments are fixed when the class loads, before any config exists; the zone
    // (REVIEW_TIMEZONE) and REVIEW_ENABLED are set on the metadata here, before the scheduler
    // reads it at module init. Without review options (the CLI) the job stays off.
    const handler = Object.getOwnPropertyDescriptor(ReviewScheduler.prototype, 'nightlyReview')
      ?.value as object;
    const metadata = Reflect.getMetadata(CRON_OPTIONS_METADATA, handler) as
      Record<string, unknown> | undefined;
    if (metadata) {
      metadata.timeZone = options.review?.timeZone ?? 'UTC';
      metadata.disabled = options.review?.enabled !== true;
    }
  }

  @Cron(REVIEW_CRON, { name: REVIEW_JOB_NAME, timeZone: 'UTC', waitForCompletion: true })
  async nightlyReview(): Promise<void> {
    await this.reviews.runScheduled();
  }
}
