import { useState } from 'preact/hooks';
import { api, query, type Page } from '../api';
import { formatDate, localInputToIso } from '../format';
import { PageTitle, useLoad, View } from '../ui';
import { Pager } from './users';
// The one event vocabulary of the server: a file with no imports, so the bundle takes it as is.
import {
  AUDIT_EVENT_TYPES,
  type AuditEventType,
  type AuditOutcome,
} from '../../../src/common/audit-vocabulary';

interface AuditEvent {
  id: number;
  ts: string;
  type: AuditEventType;
  level: string;
  outcome: AuditOutcome;
  username?: string;
  reason?: string;
  ip: string;
  userAgent: string;
  requestId: string;
  method: string;
  path: string;
  details?: Record<string, unknown>;
}

interface Filters {
  type: string;
  username: string;
  ip: string;
  outcome: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { type: '', username: '', ip: '', outcome: '', from: '', to: '' };

export function EventsPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const path = `/audit/events${query({
    type: filters.type,
    username: filters.username.trim(),
    ip: filters.ip.trim(),
    outcome: filters.outcome,
    from: localInputToIso(filters.from),
    to: localInputToIso(filters.to),
    limit: 25,
    cursor,
  })}`;
  const events = useLoad(() => api.get<Page<AuditEvent>>(path), path);
  const field = (name: keyof Filters) => ({
    id: `filter-${name}`,
    value: draft[name],
    onInput: (event: Event) =>
      setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value }),
  });

  return (
    <main id="main">
      <PageTitle>Audit events</PageTitle>
      <form
        class="card filters"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault();
          setCursors([]);
          setFilters(draft);
        }}
      >
        <div>
          <label for="filter-type">Type</label>
          <select
            {...field('type')}
            onChange={(event) => setDraft({ ...draft, type: event.currentTarget.value })}
          >
            <option value="">Any type</option>
            {AUDIT_EVENT_TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-username">Username</label>
          <input {...field('username')} />
        </div>
        <div>
          <label for="filter-ip">IP</label>
          <input {...field('ip')} inputMode="text" />
        </div>
        <div>
          <label for="filter-outcome">Outcome</label>
          <select
            {...field('outcome')}
            onChange={(event) => setDraft({ ...draft, outcome: event.currentTarget.value })}
          >
            <option value="">Any outcome</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
          </select>
        </div>
        <div>
          <label for="filter-from">From</label>
          <input type="datetime-local" {...field('from')} />
        </div>
        <div>
          <label for="filter-to">To</label>
          <input type="datetime-local" {...field('to')} />
        </div>
        <div class="filter-actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setCursors([]);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <View loaded={events} label="the audit events">
        {(page) => (
          <section class="card">
            {page.items.length === 0 ? (
              <p class="hint">No event matches.</p>
            ) : (
              <ul class="events" data-testid="events">
                {page.items.map((event) => (
                  <li key={event.id}>
                    <details>
                      <summary>
                        <span class={`outcome ${event.outcome}`}>{event.outcome}</span>{' '}
                        <code>{event.type}</code>{' '}
                        {event.username && <strong>{event.username}</strong>}{' '}
                        <span class="hint">{event.ip}</span>{' '}
                        <time dateTime={event.ts}>{formatDate(event.ts)}</time>
                      </summary>
                      <dl class="facts">
                        {Object.entries(event).map(([key, value]) => (
                          <>
                            <dt key={`k-${key}`}>{key}</dt>
                            <dd key={`v-${key}`} class="wrap">
                              {typeof value === 'object' ? JSON.stringify(value) : String(value)}
                            </dd>
                          </>
                        ))}
                      </dl>
                    </details>
                  </li>
                ))}
              </ul>
            )}
            <Pager
              hasPrevious={cursors.length > 0}
              next={page.nextCursor}
              onPrevious={() => setCursors(cursors.slice(0, -1))}
              onNext={(next) => setCursors([...cursors, next])}
            />
          </section>
        )}
      </View>
    </main>
  );
}
