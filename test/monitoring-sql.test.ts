/**
 * The TimescaleDB metrics (monitoring/timescaledb-collector.yml, sql_exporter's collector format) and the monitoring
 * role (components/database/monitoring.ts). The file is checked as sql_exporter loads it; then every query runs on
 * TimescaleDB (embedded, or TIMESCALE_URL) as a fresh role with exactly the monitoring role's privileges, after the
 * model is applied to a fresh schema, rows are inserted over two weeks and the older chunks of two tables compressed.
 * Each query must return exactly the columns its metrics read, numeric values, and the right numbers for that schema.
 *
 * As the role: against a real server (TIMESCALE_URL) the role logs in with its own password. The embedded server (and
 * serve-timescale.ts behind TIMESCALE_URL) ignores the startup user and shares one session among all connections, so
 * there the queries run after `SET ROLE <monitoring role>` (current_user is then the role, with only its rights) and
 * `RESET ROLE` follows. PostgreSQL lets only roles
 * with ADMIN on pg_monitor grant it, which the embedded server's login (like a managed service's admin) lacks: then
 * the role gets every other privilege, a line says so, and the queries are shown to need nothing from pg_monitor.
 */
import { strict as assert } from "node:assert";
import type { Client } from "pg";
import { CRYPTO_SCOUT_TABLES } from "../components/database/model";
import { applyModel } from "../components/database/providers/live";
import { applyModelCandles } from "../components/database/providers/candles";
import { modelCandles } from "../components/database/candles";
import { ident, qualified } from "../components/database/sql";
import {
  collectorMetricNames,
  collectorQueries,
  loadCollector,
  metricLabels,
  monitoringGrants,
  monitoringPrivileges,
  monitoringRoleSql,
  parseCollector,
  WRITE_PRIVILEGES,
  type MetricQuery,
} from "../components/database/monitoring";
import { collectorInsertSql, compressOldChunks, freshName, freshSchema, policyJobs, query, timescale, trackRole, withDb } from "./support/timescale";

const collector = loadCollector();
const TABLES = CRYPTO_SCOUT_TABLES.map((t) => t.name);
const COMPRESSED = ["cmc_fgi", "bybit_spot_tickers_btc_usdt"];
const ROWS = 28;
const SPAN_DAYS = 14;
const JOB_LABELS = ["job_id", "proc_name", "schema", "hypertable"];
const TABLE_LABELS = ["schema", "hypertable"];

type Row = Record<string, unknown>;

describe("monitoring: the TimescaleDB collector file", () => {
  it("loads as sql_exporter loads it: named timescaledb, prefixed names, counters in _total, labels per family", () => {
    assert.equal(collector.collector_name, "timescaledb");
    const names = collectorMetricNames(collector);
    assert.deepEqual(names.filter((n) => !/^timescaledb_[a-z0-9_]+$/.test(n)), []);
    for (const m of collector.metrics) {
      const labels = metricLabels(m);
      if (m.metric_name.startsWith("timescaledb_hypertable_")) assert.deepEqual(labels, TABLE_LABELS, m.metric_name);
      if (m.metric_name.startsWith("timescaledb_job_")) assert.deepEqual(labels, JOB_LABELS, m.metric_name);
      assert.ok(m.help.length > 20, `${m.metric_name}: a help text`);
    }
    for (const n of ["_size_bytes", "_age_seconds", "_interval_seconds", "_timestamp_seconds"]) assert.ok(names.some((x) => x.endsWith(n)), `a metric in ${n}`);
    assert.deepEqual(names.filter((n) => n.endsWith("_total")), ["timescaledb_job_runs_total", "timescaledb_job_failures_total"]);
    assert.deepEqual(collectorQueries(collector).map((q) => q.name).sort(), [
      "hypertable_chunks", "hypertable_storage", "policy_jobs",
      "timescaledb_database_size_bytes", "timescaledb_hypertable_approximate_rows", "timescaledb_version_info",
    ]);
  });

  it("duplicates none of postgres_exporter's metrics (pg_settings_*: shared_buffers, max_connections)", () => {
    const sql = collectorQueries(collector).map((q) => q.sql).join("\n");
    assert.doesNotMatch(sql, /pg_settings|shared_buffers|max_connections/);
  });

  it("refuses what sql_exporter refuses, and names outside the project's conventions", () => {
    const base = { metric_name: "timescaledb_x", type: "gauge", help: "h", values: ["v"], query: "SELECT 1 AS v" };
    const refused = (metric: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      assert.throws(() => parseCollector(JSON.stringify({ collector_name: "timescaledb", metrics: [{ ...base, ...metric }], ...extra })), Error, JSON.stringify(metric));
    refused({ query_ref: "q" });
    refused({ query: undefined, query_ref: "missing" });
    refused({ values: ["a", "b"] });
    refused({ values: [] });
    refused({ key_labels: ["a", "a"] });
    refused({ key_labels: ["v"] });
    refused({ key_labels: ["job"] });
    refused({ type: "histogram" });
    refused({ type: "counter" });
    refused({ metric_name: "x_total", type: "counter" });
    refused({ metric_name: "timescaledb_x_total" });
    refused({ help: "" });
    refused({ unknown_field: 1 });
    refused({}, { queries: [{ query_name: "unused", query: "SELECT 1" }] });
    assert.equal(parseCollector(JSON.stringify({ collector_name: "timescaledb", metrics: [base] })).metrics.length, 1);
  });
});

describe("monitoring: the monitoring role's privileges", () => {
  it("pg_monitor, CONNECT on the database, nothing on any schema or table, nothing that writes", () => {
    const p = monitoringPrivileges("scout");
    assert.deepEqual(p.memberOf, ["pg_monitor"]);
    assert.deepEqual(p.grants, [{ objectType: "database", database: "scout", privileges: ["CONNECT"] }]);
    assert.deepEqual(monitoringGrants("scout"), p.grants);
    assert.deepEqual(p.grants.flatMap((g) => g.privileges).filter((x) => WRITE_PRIVILEGES.includes(x.toUpperCase())), []);
    assert.deepEqual(
      { ...p.role, roles: [...p.role.roles] },
      { login: true, inherit: true, superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false, connectionLimit: 5, statementTimeout: 10000, roles: ["pg_monitor"] },
    );
    assert.deepEqual(monitoringRoleSql("mon", "scout", "pw"), {
      role: [
        `CREATE ROLE "mon" LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD 'pw'`,
        `ALTER ROLE "mon" SET statement_timeout = 10000`,
      ],
      memberships: [`GRANT "pg_monitor" TO "mon"`],
      grants: [`GRANT CONNECT ON DATABASE "scout" TO "mon"`],
    });
  });
});

describe("monitoring: every collector query on TimescaleDB as the monitoring role", function () {
  this.timeout(60_000);
  const schema = freshSchema("mon");
  const role = trackRole(freshName("monitor"));
  const password = `pw-${role}`;
  let database = "";
  let embedded = true;
  const compressed: Record<string, number> = {};
  const chunkCounts: Record<string, number> = {};
  const pastWindow: Record<string, number> = {};

  /**
   * Runs `fn` on a connection whose current_user is the monitoring role: logged in as the role where the server checks
   * the login (TIMESCALE_URL on a real server: session_user is then the role too), else in the shared session after
   * SET ROLE (the embedded server, or serve-timescale.ts behind TIMESCALE_URL, which ignore the startup user).
   */
  let loginWorks: boolean | undefined;
  async function asMonitor<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    if (!embedded && loginWorks !== false) {
      const pg = require("pg") as typeof import("pg");
      const t = await timescale();
      const c = new pg.Client({ host: t.host, port: t.port, database: t.database, user: role, password });
      await c.connect();
      try {
        const who = (await c.query("SELECT current_user AS u, session_user AS s")).rows[0];
        loginWorks = who.s === role;
        if (loginWorks) {
          assert.equal(who.u, role);
          return await fn(c);
        }
      } finally {
        await c.end();
      }
    }
    return withDb(async (c) => {
      await c.query(`SET ROLE ${ident(role)}`);
      try {
        assert.equal((await c.query("SELECT current_user AS u")).rows[0].u, role);
        return await fn(c);
      } finally {
        await c.query("RESET ROLE");
      }
    });
  }

  async function run(q: MetricQuery): Promise<{ columns: string[]; rows: Row[] }> {
    return asMonitor(async (c) => {
      const res = await c.query(q.sql);
      return { columns: res.fields.map((f) => f.name), rows: res.rows as Row[] };
    });
  }

  before(async function () {
    const t = await timescale();
    database = t.database;
    embedded = t.embedded;
    await withDb(async (c) => {
      await applyModel(c, schema, CRYPTO_SCOUT_TABLES);
      await applyModelCandles(c, schema, modelCandles(schema, CRYPTO_SCOUT_TABLES));
      // A native server's scheduler would run the policies while the test writes and counts chunks (it compressed
      // them mid-suite on TimescaleDB 2.23): pause the schema's jobs, and let a run already started on the empty
      // tables finish, so every server shows the state the test made.
      await c.query(`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_schema = $1`, [schema]);
      for (let waited = 0; ; waited += 100) {
        const running = await c.query(`SELECT 1 FROM timescaledb_information.job_stats WHERE hypertable_schema = $1 AND job_status = 'Running'`, [schema]);
        if (running.rowCount === 0) break;
        assert.ok(waited < 30_000, "a policy job of the test schema still runs after 30 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const table of TABLES) await c.query(collectorInsertSql(schema, table, ROWS, SPAN_DAYS));
    });
    for (const table of TABLES) compressed[table] = COMPRESSED.includes(table) ? await compressOldChunks(schema, table) : 0;
    await withDb(async (c) => {
      for (const table of TABLES) {
        // What autovacuum does on a server: the statistics approximate_row_count reads.
        await c.query(`ANALYZE ${qualified(schema, table)}`);
        const rel = `'${qualified(schema, table)}'`;
        chunkCounts[table] = Number((await c.query(`SELECT count(*) AS n FROM show_chunks(${rel})`)).rows[0].n);
        pastWindow[table] = Number((await c.query(`SELECT count(*) AS n FROM show_chunks(${rel}, older_than => INTERVAL '7 days')`)).rows[0].n) - compressed[table];
      }
      const sql = monitoringRoleSql(role, database, password);
      for (const s of sql.role) await c.query(s);
      for (const s of sql.memberships) {
        try {
          await c.query(s);
        } catch (e) {
          if ((e as { code?: string }).code !== "42501") throw e;
          console.log(`      (${s}: refused to ${t.user}, who lacks ADMIN on it; the queries run without pg_monitor)`);
        }
      }
      for (const s of sql.grants) await c.query(s);
      await c.query(`GRANT ${ident(role)} TO ${ident(t.user)}`); // lets a shared session SET ROLE to it
    });
    assert.ok(compressed.cmc_fgi >= 5 && compressed.bybit_spot_tickers_btc_usdt >= 5, `compressed ${JSON.stringify(compressed)}`);
  });

  /** The schema's rows of a per-hypertable query, by table. */
  function byTable(rows: Row[]): Record<string, Row> {
    const mine = rows.filter((r) => r.schema === schema);
    assert.deepEqual(mine.map((r) => r.hypertable).sort(), [...TABLES].sort(), "one row per hypertable of the schema");
    return Object.fromEntries(mine.map((r) => [r.hypertable as string, r]));
  }

  const n = (v: unknown) => (v === null ? null : Number(v));

  const checks: Record<string, (rows: Row[]) => Promise<void>> = {
    async hypertable_storage(rows) {
      const t = byTable(rows);
      for (const table of TABLES) {
        const r = t[table];
        assert.ok(n(r.total_bytes)! > 0, `${table} total`);
        assert.ok(n(r.uncompressed_chunks_bytes)! > 0 && n(r.uncompressed_chunks_bytes)! <= n(r.total_bytes)!, `${table} uncompressed bytes`);
        if (compressed[table] > 0) {
          assert.ok(n(r.before_compression_bytes)! > 0 && n(r.after_compression_bytes)! > 0, `${table} compression stats`);
          assert.ok(Math.abs(n(r.compression_ratio)! - n(r.before_compression_bytes)! / n(r.after_compression_bytes)!) < 1e-9);
        } else {
          assert.deepEqual([n(r.before_compression_bytes), n(r.after_compression_bytes), r.compression_ratio], [0, 0, null], table);
        }
      }
    },
    async hypertable_chunks(rows) {
      const t = byTable(rows);
      for (const table of TABLES) {
        assert.deepEqual(
          [n(t[table].compressed_chunks), n(t[table].uncompressed_chunks), n(t[table].uncompressed_chunks_past_window)],
          [compressed[table], chunkCounts[table] - compressed[table], pastWindow[table]],
          table,
        );
      }
      assert.equal(pastWindow.cmc_fgi, 0);
      assert.ok(pastWindow.bybit_spot_tickers_eth_usdt >= 5, "the uncompressed tables have chunks past the 7-day window");
    },
    async timescaledb_hypertable_approximate_rows(rows) {
      const t = byTable(rows);
      for (const table of TABLES) assert.ok(n(t[table].approximate_rows)! > 0, table);
      // Uncompressed: the analysed row count itself. Compressed chunks are estimated from their batches.
      assert.equal(n(t.bybit_spot_tickers_eth_usdt.approximate_rows), ROWS);
    },
    async policy_jobs(rows) {
      // The embedded engine has no background scheduler: no job has run, so no failure is counted. A native server's
      // scheduler ran each job once when it was created, before the `before` hook paused it, and counted a failure
      // when it found no free background worker: there the counters must equal TimescaleDB's own, which no run
      // changes now.
      const counters = await query<{ job_id: number; consecutive: string; failures: string }>(
        `SELECT j.job_id, COALESCE(b.consecutive_failures, 0)::text AS consecutive, COALESCE(s.total_failures, 0)::text AS failures
           FROM timescaledb_information.jobs j
           LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
           LEFT JOIN _timescaledb_internal.bgw_job_stat b ON b.job_id = j.job_id
          WHERE j.hypertable_schema = $1`,
        [schema],
      );
      const expected = Object.fromEntries(counters.map((t) => [String(t.job_id), embedded ? { consecutive: "0", failures: "0" } : t]));
      const mine = rows.filter((r) => r.schema === schema);
      const jobs = await policyJobs(schema);
      const owners = await query<{ job_id: number; seconds: string }>(
        `SELECT job_id, extract(epoch FROM schedule_interval)::text AS seconds FROM timescaledb_information.jobs WHERE hypertable_schema = $1`,
        [schema],
      );
      const schedule = Object.fromEntries(owners.map((o) => [String(o.job_id), Number(o.seconds)]));
      const kinds: Record<string, string> = { policy_compression: "compression", policy_retention: "retention", policy_reorder: "reorder" };
      assert.deepEqual(
        mine.map((r) => `${r.hypertable}/${kinds[r.proc_name as string] ?? r.proc_name}=${r.job_id}`).sort(),
        Object.entries(jobs).map(([k, v]) => `${k}=${v.jobId}`).sort(),
        "the schema's 12 table policy jobs and 8 candle policy jobs, labelled with their id, procedure and hypertable (or candles)",
      );
      assert.equal(mine.filter((r) => r.proc_name === "policy_refresh_continuous_aggregate").length, 6, "the refresh of each candle aggregate");
      for (const r of mine) {
        const what = `${r.hypertable}/${r.proc_name}`;
        assert.equal(n(r.schedule_interval_seconds), schedule[r.job_id as string], what);
        assert.ok(n(r.schedule_interval_seconds)! >= (r.proc_name === "policy_refresh_continuous_aggregate" ? 300 : 3600), what);
        const job = expected[r.job_id as string];
        assert.equal(n(r.consecutive_failures), Number(job.consecutive), what);
        assert.equal(n(r.failures_total), Number(job.failures), what);
        assert.equal(n(r.scheduled), 0, `${what}: paused by the test`);
        // No background scheduler on the embedded server: the run columns are NULL (the exporter skips them) or sane.
        assert.ok(r.last_run_success === null || [0, 1].includes(n(r.last_run_success)!), what);
        assert.ok(r.last_success_age_seconds === null || n(r.last_success_age_seconds)! >= 0, what);
        assert.ok(r.next_start_timestamp_seconds === null || n(r.next_start_timestamp_seconds)! > Date.UTC(2020, 0, 1) / 1000, what);
      }
      assert.ok(rows.every((r) => ["policy_compression", "policy_retention", "policy_reorder", "policy_refresh_continuous_aggregate"].includes(r.proc_name as string)), "policy jobs only");
    },
    async timescaledb_version_info(rows) {
      const [owner] = await query<{ v: string; l: string | null }>(
        `SELECT extversion AS v, current_setting('timescaledb.license', true) AS l FROM pg_extension WHERE extname = 'timescaledb'`,
      );
      assert.deepEqual(rows, [{ version: owner.v, license: owner.l ?? "", info: 1 }]);
      assert.match(owner.v, /^2\.\d+\.\d+/);
    },
    async timescaledb_database_size_bytes(rows) {
      assert.equal(rows.length, 1);
      assert.equal(rows[0].database, database);
      assert.ok(n(rows[0].size_bytes)! > 1_000_000);
    },
  };

  it("has a check of the values for every query of the file", () => {
    assert.deepEqual(collectorQueries(collector).map((q) => q.name).sort(), Object.keys(checks).sort());
  });

  for (const q of collectorQueries(collector)) {
    it(`${q.name}: returns exactly the columns of ${q.metrics.map((m) => m.metric_name).join(", ")}, with numeric values`, async () => {
      const { columns, rows } = await run(q);
      assert.deepEqual([...columns].sort(), [...q.columns].sort(), "the result columns are the metrics' key_labels and values");
      assert.ok(rows.length > 0, "at least one row");
      const keys = new Set(q.metrics.flatMap((m) => m.key_labels ?? []));
      for (const r of rows) {
        for (const c of columns) {
          if (keys.has(c)) assert.equal(typeof r[c], "string", `label ${c} is text, never NULL`);
          else if (r[c] !== null) assert.ok(Number.isFinite(Number(r[c])), `${c}=${String(r[c])} is a number`);
        }
      }
      await checks[q.name](rows);
    });
  }

  it("the role cannot write, change a policy or read market data (42501); it holds no privilege on the schema", async () => {
    const tables = TABLES.map((table) => qualified(schema, table));
    const attempts = [
      `INSERT INTO ${tables[0]} (score, name, "timestamp", btc_price, btc_volume) VALUES (1, 'Fear', now(), 1, 1)`,
      `SELECT count(*) FROM ${tables[0]}`,
      `CREATE TABLE ${qualified(schema, "intruder")} (x int)`,
      `CREATE TABLE public.${ident(freshName("intruder"))} (x int)`,
      `SELECT compress_chunk(c) FROM show_chunks((SELECT c.oid FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = '${schema}' AND c.relname = 'bybit_lpl')) c LIMIT 1`,
      `SELECT alter_job(${(await policyJobs(schema))["cmc_fgi/compression"].jobId}, scheduled => false)`,
    ];
    await asMonitor(async (c) => {
      for (const sql of attempts) {
        await assert.rejects(c.query(sql), (e: { code?: string }) => e.code === "42501", sql);
      }
    });
    const [p] = await query<Record<string, boolean>>(
      `SELECT has_schema_privilege($1, $2, 'USAGE') AS usage, has_schema_privilege($1, $2, 'CREATE') AS create,
              has_database_privilege($1, current_database(), 'CREATE') AS create_db, has_database_privilege($1, current_database(), 'CONNECT') AS connect,
              EXISTS (SELECT 1 FROM information_schema.role_table_grants WHERE grantee = $1) AS table_grants`,
      [role, schema],
    );
    assert.deepEqual(p, { usage: false, create: false, create_db: false, connect: true, table_grants: false });
  });

  it("with USAGE on the schema added (as a function in it may need), the role still cannot read or write a table", async () => {
    await withDb((c) => c.query(`GRANT USAGE ON SCHEMA ${ident(schema)} TO ${ident(role)}`));
    try {
      await asMonitor(async (c) => {
        for (const sql of [
          `INSERT INTO ${qualified(schema, "cmc_fgi")} (score, name, "timestamp", btc_price, btc_volume) VALUES (1, 'Fear', now(), 1, 1)`,
          `SELECT count(*) FROM ${qualified(schema, "cmc_fgi")}`,
          `CREATE TABLE ${qualified(schema, "intruder")} (x int)`,
          `SELECT compress_chunk(c) FROM show_chunks('${qualified(schema, "bybit_lpl")}') c LIMIT 1`,
        ]) {
          await assert.rejects(c.query(sql), (e: { code?: string }) => e.code === "42501", sql);
        }
        for (const q of collectorQueries(collector)) await c.query(q.sql);
      });
    } finally {
      await withDb((c) => c.query(`REVOKE USAGE ON SCHEMA ${ident(schema)} FROM ${ident(role)}`));
    }
  });
});
