import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { isReviewDetectorClass } from './review-detector.decorator';
import type { ReviewDetectorRule } from './review.types';

function isRule(value: unknown): value is ReviewDetectorRule {
  const candidate = value as Partial<ReviewDetectorRule> | null;
  return typeof candidate?.rule === 'string' && typeof candidate.start === 'function';
}

/**
 * Every `@ReviewDetector()` provider of the application, found once at bootstrap. A team adds
 * a rule by writing one class and listing it as a provider of any module.
 */
@Injectable()
export class ReviewDetectorRegistry implements OnApplicationBootstrap {
  private readonly logger = new Logger('Review');
  private detectors: ReviewDetectorRule[] | undefined;

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    this.all();
  }

  all(): readonly ReviewDetectorRule[] {
    if (this.detectors) return this.detectors;
    const found: ReviewDetectorRule[] = [];
    const seen = new Set<string>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      const type: unknown =
        (instance as object | null | undefined)?.constructor ?? wrapper.metatype;
      if (!isReviewDetectorClass(type)) continue;
      if (!isRule(instance)) {
        this.logger.warn(
          `${wrapper.name} is marked @ReviewDetector() but has no rule id or start(); ignored`,
        );
        continue;
      }
      if (seen.has(instance.rule)) {
        this.logger.warn(`Two detectors share the rule id "${instance.rule}"; only the first runs`);
        continue;
      }
      seen.add(instance.rule);
      found.push(instance);
    }
    this.detectors = found;
    return found;
  }
}
