import { Injectable } from '@nestjs/common';

/** The review's notion of now; tests replace it to replay nights. */
@Injectable()
export class ReviewClock {
  now(): number {
    return Date.now();
  }
}
