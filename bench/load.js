'use strict';
/**
 * The load generator, a process of its own so it never shares a core's event loop with the
 * orchestrator or the server. Usage: `node bench/load.js '<json spec>'`; prints one JSON line.
 * Spec: { url, path, method?, headers?, connections, duration? | amount?, timeout?,
 *         logins?: { users: [{ username, password }], wrongEvery } }
 * With `logins`, each request is a login of the next user in turn, and every `wrongEvery`-th
 * one carries a wrong password.
 */
const autocannon = require('autocannon');

function loginRequests(spec) {
  const { users, wrongEvery } = spec.logins;
  let sent = 0;
  return [
    {
      method: 'POST',
      path: spec.path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => {
        const user = users[sent % users.length];
        const wrong = wrongEvery > 0 && sent % wrongEvery === wrongEvery - 1;
        sent += 1;
        return {
          ...request,
          body: JSON.stringify({
            username: user.username,
            password: wrong ? `${user.password}-wrong` : user.password,
          }),
        };
      },
    },
  ];
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const options = {
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    timeout: spec.timeout ?? 30,
    headers: spec.headers ?? {},
    method: spec.method ?? 'GET',
    path: spec.path,
  };
  if (spec.amount !== undefined) options.amount = spec.amount;
  else options.duration = spec.duration;
  if (spec.logins) options.requests = loginRequests(spec);
  else options.requests = [{ method: options.method, path: spec.path, headers: options.headers }];

  const result = await autocannon(options);
  const statusCodes = {};
  let answered = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    statusCodes[code] = count;
    answered += count;
  }
  process.stdout.write(
    `${JSON.stringify({
      path: spec.path,
      connections: spec.connections,
      durationSec: result.duration,
      answered,
      statusCodes,
      requestsPerSec: answered / result.duration,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        mean: result.latency.mean,
        max: result.latency.max,
      },
      errors: result.errors,
      timeouts: result.timeouts,
      resets: result.resets,
    })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
