import { describeEachDialect, truncateAll } from '../../../test/support/database';
import { behavesAsThrottleStore } from '../../testing';
import { KyselyThrottleStore, throttleKey } from './kysely-throttle.store';

describeEachDialect('KyselyThrottleStore', (getDb) => {
  behavesAsThrottleStore(async () => {
    await truncateAll(getDb().db);
    return new KyselyThrottleStore(getDb().db);
  });

  it('keys pairs unambiguously', () => {
    expect(throttleKey({ kind: 'pair', username: 'a","b', ip: 'c' })).not.toBe(
      throttleKey({ kind: 'pair', username: 'a', ip: 'b","c' }),
    );
  });
});
