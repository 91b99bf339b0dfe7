import { Clock } from '../../common';

/**
 * The review's notion of now, which is the one `Clock` (kept under this name for hosts that
 * already override it).
 * @deprecated Inject or override `Clock`.
 */
export const ReviewClock = Clock;
export type ReviewClock = Clock;
