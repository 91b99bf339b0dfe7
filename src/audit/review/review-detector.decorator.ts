import 'reflect-metadata';

const REVIEW_DETECTOR = 'gatehouse:review-detector';

/**
 * Marks a provider implementing `ReviewDetectorRule` as a rule of the nightly review. The
 * review finds every such provider of the application, in any module, through Nest's
 * DiscoveryService (ReviewDetectorRegistry). Plain class metadata, so that a detector module
 * loads without Nest: the offline CLI (`audit:review --file`) runs the built-in rules without
 * booting an application.
 */
export function ReviewDetector(): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(REVIEW_DETECTOR, true, target);
  };
}

/** The metadata key `@ReviewDetector()` sets on a class. */
ReviewDetector.KEY = REVIEW_DETECTOR;

/** Whether a class (or an instance's class) is marked `@ReviewDetector()`. */
export function isReviewDetectorClass(type: unknown): boolean {
  return typeof type === 'function' && Reflect.getMetadata(REVIEW_DETECTOR, type) === true;
}
