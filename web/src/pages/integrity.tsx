import { api } from '../api';
import { formatDate } from '../format';
import { PageTitle, useLoad, View } from '../ui';

interface Integrity {
  ok: boolean;
  sealedThrough: string | null;
  seals: number;
  firstBrokenSeal: { id: number | string; reason: string } | null;
}

export function IntegrityPage() {
  const integrity = useLoad(() => api.get<Integrity>('/audit/integrity'), 'integrity');
  return (
    <main id="main">
      <PageTitle>Integrity</PageTitle>
      <View loaded={integrity} label="the seal chain's status">
        {(data) => (
          <section class="card">
            <p class={`alert ${data.ok ? 'ok' : 'error'}`} data-testid="integrity-status">
              {data.ok ? 'The seal chain is intact.' : 'The seal chain is broken.'}
            </p>
            <dl class="facts">
              <dt>Seals</dt>
              <dd>{data.seals}</dd>
              <dt>Sealed through</dt>
              <dd>{data.sealedThrough ? formatDate(data.sealedThrough) : 'nothing sealed yet'}</dd>
              {data.firstBrokenSeal && (
                <>
                  <dt>First broken seal</dt>
                  <dd>
                    #{data.firstBrokenSeal.id}: {data.firstBrokenSeal.reason.replace(/_/g, ' ')}
                  </dd>
                </>
              )}
            </dl>
          </section>
        )}
      </View>
    </main>
  );
}
