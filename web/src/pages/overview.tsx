import { useMemo } from 'preact/hooks';
import { api, query } from '../api';
import { Chart, type ChartSeries } from '../chart';
import { formatDay, formatHour } from '../format';
import { PageTitle, useLoad, View } from '../ui';

interface StatsPoint {
  start: string;
  success: number;
  failure: number;
  refused: number;
  findings: number;
}

interface Stats {
  from: string;
  to: string;
  bucket: '1h' | '1d';
  series: StatsPoint[];
  topFailingIps: { ip: string; failures: number }[];
  topFailingUsernames: { username: string; failures: number }[];
}

export const COLOURS = {
  success: '#1b7f3b',
  failure: '#c62828',
  refused: '#b06000',
  findings: '#6a1b9a',
};

function total(points: StatsPoint[], key: 'success' | 'failure' | 'refused' | 'findings'): number {
  return points.reduce((sum, point) => sum + point[key], 0);
}

export function OverviewPage() {
  const hourly = useLoad(() => api.get<Stats>(`/audit/stats${query({ bucket: '1h' })}`), 'hourly');
  const daily = useLoad(() => api.get<Stats>(`/audit/stats${query({ bucket: '1d' })}`), 'daily');
  return (
    <main id="main">
      <PageTitle>Overview</PageTitle>
      <p class="hint">The last 7 days, in your time zone.</p>
      <View loaded={hourly} label="the login figures">
        {(stats) => <Logins stats={stats} />}
      </View>
      <View loaded={daily} label="the findings">
        {(stats) => <Findings stats={stats} />}
      </View>
    </main>
  );
}

function Logins(props: { stats: Stats }) {
  const { series: points } = props.stats;
  const times = useMemo(() => points.map((point) => Date.parse(point.start)), [points]);
  const series = useMemo<ChartSeries[]>(
    () => [
      { label: 'Success', stroke: COLOURS.success, values: points.map((point) => point.success) },
      { label: 'Failure', stroke: COLOURS.failure, values: points.map((point) => point.failure) },
      { label: 'Refused', stroke: COLOURS.refused, values: points.map((point) => point.refused) },
    ],
    [points],
  );
  return (
    <>
      <section class="card" aria-labelledby="logins-title">
        <h2 id="logins-title">Logins per hour</h2>
        <ul class="totals">
          <li>
            <span class="swatch success" /> Success{' '}
            <strong data-testid="total-success">{total(points, 'success')}</strong>
          </li>
          <li>
            <span class="swatch failure" /> Failure{' '}
            <strong data-testid="total-failure">{total(points, 'failure')}</strong>
          </li>
          <li>
            <span class="swatch refused" /> Refused (429, 403, 503){' '}
            <strong data-testid="total-refused">{total(points, 'refused')}</strong>
          </li>
        </ul>
        <Chart
          times={times}
          series={series}
          label="Logins per hour: success, failure and refused"
          formatTime={formatHour}
          steps={[6 * 3600, 12 * 3600, 86400, 2 * 86400]}
          testId="logins-chart"
        />
      </section>
      <div class="columns">
        <section class="card" aria-labelledby="ips-title">
          <h2 id="ips-title">Top failing IPs</h2>
          <Ranking
            rows={props.stats.topFailingIps.map((row) => [row.ip, row.failures])}
            empty="No failed logins."
            name="IP"
            testId="top-ips"
          />
        </section>
        <section class="card" aria-labelledby="users-title">
          <h2 id="users-title">Top failing usernames</h2>
          <Ranking
            rows={props.stats.topFailingUsernames.map((row) => [row.username, row.failures])}
            empty="No failed logins."
            name="Username"
            testId="top-usernames"
          />
        </section>
      </div>
    </>
  );
}

function Findings(props: { stats: Stats }) {
  const { series: points } = props.stats;
  const times = useMemo(() => points.map((point) => Date.parse(point.start)), [points]);
  const series = useMemo<ChartSeries[]>(
    () => [
      {
        label: 'Findings',
        stroke: COLOURS.findings,
        values: points.map((point) => point.findings),
        bars: true,
      },
    ],
    [points],
  );
  return (
    <section class="card" aria-labelledby="findings-title">
      <h2 id="findings-title">Review findings per night</h2>
      <p>
        <span class="swatch findings" /> Findings{' '}
        <strong data-testid="total-findings">{total(points, 'findings')}</strong>
      </p>
      <Chart
        times={times}
        series={series}
        label="Review findings per day"
        formatTime={formatDay}
        steps={[86400, 2 * 86400, 7 * 86400]}
        height={180}
        testId="findings-chart"
      />
      <details>
        <summary>Figures per day</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Success</th>
                <th scope="col">Failure</th>
                <th scope="col">Refused</th>
                <th scope="col">Findings</th>
              </tr>
            </thead>
            <tbody>
              {points.map((point) => (
                <tr key={point.start}>
                  <td>{formatDay(Date.parse(point.start))}</td>
                  <td>{point.success}</td>
                  <td>{point.failure}</td>
                  <td>{point.refused}</td>
                  <td>{point.findings}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

function Ranking(props: { rows: [string, number][]; empty: string; name: string; testId: string }) {
  if (props.rows.length === 0) return <p class="hint">{props.empty}</p>;
  return (
    <table data-testid={props.testId}>
      <thead>
        <tr>
          <th scope="col">{props.name}</th>
          <th scope="col" class="num">
            Failures
          </th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map(([name, failures]) => (
          <tr key={name}>
            <td class="wrap">{name}</td>
            <td class="num">{failures}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
