import { useState } from 'preact/hooks';
import { api } from '../api';
import { formatDate, formatDuration } from '../format';
import { Link, navigate } from '../router';
import { ErrorMessage, PageTitle, useAction, useLoad, View } from '../ui';

interface RunSummary {
  id: string;
  status: string;
  trigger: string;
  dryRun: boolean;
  window: { from: string; to: string };
  startedAt: string;
  durationMs: number;
  eventsReviewed: number;
  findingCount: number;
  measureCount: number;
}

interface Finding {
  id: string;
  rule: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  subjectKind: string;
  subject: string;
  evidence: Record<string, number | string[]>;
  firstSeen: string;
  lastSeen: string;
}

interface Measure {
  kind: string;
  target: string;
  findingId: string;
  result: string;
  expiresAt?: string;
  sessionsRevoked?: number;
  detail?: string;
}

interface Run extends Omit<RunSummary, 'findingCount' | 'measureCount'> {
  findings: Finding[];
  measures: Measure[];
  errors: string[];
}

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export function ReviewsPage() {
  const runs = useLoad(() => api.get<{ items: RunSummary[] }>('/audit/reviews'), 'runs');
  const [dryRun, setDryRun] = useState(true);
  const action = useAction();

  async function reviewNow(event: Event) {
    event.preventDefault();
    let created: RunSummary | undefined;
    const ok = await action.run(async () => {
      created = await api.post<RunSummary>('/audit/reviews', { dryRun });
    });
    if (ok && created) navigate(`/admin/reviews/${encodeURIComponent(created.id)}`);
  }

  return (
    <main id="main">
      <PageTitle>Reviews</PageTitle>
      <form class="card inline" onSubmit={(event) => void reviewNow(event)}>
        <label class="check">
          <input
            type="checkbox"
            checked={dryRun}
            onChange={(event) => setDryRun(event.currentTarget.checked)}
          />
          Dry run (find, but take no measures)
        </label>
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? 'Reviewing…' : 'Review now'}
        </button>
      </form>
      <ErrorMessage error={action.error} />
      <View loaded={runs} label="the review runs">
        {(page) =>
          page.items.length === 0 ? (
            <p class="hint">No review has run yet.</p>
          ) : (
            <div class="table-wrap">
              <table data-testid="runs">
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Window</th>
                    <th scope="col">Events</th>
                    <th scope="col">Findings</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((run) => (
                    <tr key={run.id}>
                      <td>
                        <Link href={`/admin/reviews/${encodeURIComponent(run.id)}`}>
                          {formatDate(run.startedAt)}
                        </Link>
                      </td>
                      <td>
                        {formatDate(run.window.from)} – {formatDate(run.window.to)}
                      </td>
                      <td class="num">{run.eventsReviewed}</td>
                      <td class="num">{run.findingCount}</td>
                      <td class="num">{formatDuration(run.durationMs)}</td>
                      <td>
                        {run.status}
                        {run.dryRun && <span class="badge">dry run</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </View>
    </main>
  );
}

export function ReviewPage(props: { id: string }) {
  const run = useLoad(
    () => api.get<Run>(`/audit/reviews/${encodeURIComponent(props.id)}`),
    props.id,
  );
  return (
    <main id="main">
      <PageTitle>Review run</PageTitle>
      <p>
        <Link href="/admin/reviews">← All reviews</Link>
      </p>
      <View loaded={run} label="the review run">
        {(data) => (
          <>
            <section class="card">
              <dl class="facts">
                <dt>Window</dt>
                <dd>
                  {formatDate(data.window.from)} – {formatDate(data.window.to)}
                </dd>
                <dt>Outcome</dt>
                <dd data-testid="run-status">
                  {data.status}
                  {data.dryRun && <span class="badge">dry run</span>}
                </dd>
                <dt>Events reviewed</dt>
                <dd>{data.eventsReviewed}</dd>
                <dt>Duration</dt>
                <dd>{formatDuration(data.durationMs)}</dd>
              </dl>
              {data.errors.length > 0 && (
                <div class="alert error" role="alert">
                  {data.errors.join(' ')}
                </div>
              )}
            </section>
            {data.findings.length === 0 && <p class="hint">This run found nothing.</p>}
            {SEVERITIES.map((severity) => {
              const findings = data.findings.filter((finding) => finding.severity === severity);
              if (findings.length === 0) return null;
              return (
                <section class="card" key={severity} aria-labelledby={`sev-${severity}`}>
                  <h2 id={`sev-${severity}`}>
                    <span class={`sev ${severity}`}>{severity}</span> {findings.length} finding
                    {findings.length > 1 ? 's' : ''}
                  </h2>
                  {findings.map((finding) => (
                    <article class="finding" key={finding.id} data-testid="finding">
                      <h3>
                        {finding.rule.replace(/_/g, ' ')}: {finding.subjectKind}{' '}
                        <code>{finding.subject}</code>
                      </h3>
                      <p class="hint">
                        {formatDate(finding.firstSeen)} – {formatDate(finding.lastSeen)}
                      </p>
                      <dl class="facts">
                        {Object.entries(finding.evidence).map(([key, value]) => (
                          <>
                            <dt key={`k-${key}`}>{key}</dt>
                            <dd key={`v-${key}`}>
                              {Array.isArray(value) ? value.join(', ') : value}
                            </dd>
                          </>
                        ))}
                      </dl>
                      <Measures
                        measures={data.measures.filter(
                          (measure) => measure.findingId === finding.id,
                        )}
                        dryRun={data.dryRun}
                      />
                    </article>
                  ))}
                </section>
              );
            })}
          </>
        )}
      </View>
    </main>
  );
}

function Measures(props: { measures: Measure[]; dryRun: boolean }) {
  if (props.measures.length === 0)
    return <p class="hint">{props.dryRun ? 'Dry run: no measure taken.' : 'No measure.'}</p>;
  return (
    <ul class="measures">
      {props.measures.map((measure) => (
        <li key={`${measure.kind}-${measure.target}`}>
          {measure.kind.replace(/_/g, ' ')} <code>{measure.target}</code>:{' '}
          {measure.result.replace(/_/g, ' ')}
          {measure.expiresAt && <> until {formatDate(measure.expiresAt)}</>}
          {measure.sessionsRevoked !== undefined && <> ({measure.sessionsRevoked} sessions)</>}
        </li>
      ))}
    </ul>
  );
}
