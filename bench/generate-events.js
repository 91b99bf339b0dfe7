'use strict';
/**
 * Writes N synthetic audit events (see lib/synthetic-events.js) into a fresh, migrated SQLite
 * database, with one prepared statement in large transactions, and optionally the same events
 * as JSON lines (the format of the audit file sink).
 * Usage: node bench/generate-events.js <events> <sqlite file|-> [jsonl file]; prints one JSON line.
 */
const Database = require('better-sqlite3');
const { createWriteStream } = require('node:fs');
const { once } = require('node:events');
const { performance } = require('node:perf_hooks');
const { syntheticEvents } = require('./lib/synthetic-events');

const BATCH = 50_000;

async function main() {
  const total = Number(process.argv[2]);
  const dbFile = process.argv[3];
  const jsonlFile = process.argv[4] && process.argv[4] !== '-' ? process.argv[4] : undefined;
  const started = performance.now();
  const db = dbFile && dbFile !== '-' ? new Database(dbFile) : undefined;
  let insertBatch;
  let indexes = [];
  if (db) {
    // Bulk load only: the server's own settings apply when it opens the file afterwards.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    // Indexes are dropped and rebuilt after the load (one sort each instead of random inserts),
    // from their own DDL, so the schema stays the migrations' one.
    indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL",
      )
      .all();
    for (const index of indexes) db.exec(`DROP INDEX "${index.name}"`);
    const insert = db.prepare(
      `INSERT INTO audit_events (id, ts, type, level, outcome, username, user_id, reason, ip, user_agent, request_id, method, path, session_ref, details)
       VALUES (@id, @ts, @type, @level, @outcome, @username, @userId, @reason, @ip, @userAgent, @requestId, @method, @path, NULL, NULL)`,
    );
    insertBatch = db.transaction((rows) => {
      for (const row of rows) insert.run(row);
    });
  }
  const out = jsonlFile ? createWriteStream(jsonlFile) : undefined;
  let rows = [];
  let lines = [];
  let count = 0;
  for (const event of syntheticEvents(total)) {
    count += 1;
    if (db) {
      rows.push({
        ...event,
        username: event.username ?? null,
        userId: event.userId ?? null,
        reason: event.reason ?? null,
      });
      if (rows.length === BATCH) {
        insertBatch(rows);
        rows = [];
      }
    }
    if (out) {
      lines.push(JSON.stringify(event));
      if (lines.length === 10_000) {
        if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
        lines = [];
      }
    }
  }
  if (db && rows.length > 0) insertBatch(rows);
  if (db) {
    for (const index of indexes) db.exec(index.sql);
    db.exec('ANALYZE');
    db.pragma('journal_mode = WAL');
    db.close();
  }
  if (out) {
    if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
    out.end();
    await once(out, 'finish');
  }
  process.stdout.write(
    `${JSON.stringify({ events: count, seconds: (performance.now() - started) / 1000 })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
