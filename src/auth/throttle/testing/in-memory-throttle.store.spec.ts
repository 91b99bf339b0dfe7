import { behavesAsThrottleStore } from '../../../testing';
import { InMemoryThrottleStore } from './in-memory-throttle.store';

// The fake the service spec relies on must keep the same promises as the real stores.
describe('InMemoryThrottleStore', () => {
  behavesAsThrottleStore(() => Promise.resolve(new InMemoryThrottleStore()));
});
