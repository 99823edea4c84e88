/**
 * A TimescaleDB for the database tests. By default ONE in-process server per mocha process (each worker of the
 * parallel run, or the whole run with --jobs 1), started lazily by the first test that needs it: PGlite with
 * TimescaleDB (PostgreSQL 17 as WebAssembly) served over TCP by pglite-socket (./serve-timescale.ts), so the real `pg`
 * client path runs. Between test files the root hooks of ./hooks.ts call `endTestFile`: the session is reset and
 * open connections closed, and on a TIMESCALE_URL server the file's schemas and roles are dropped. Its
 * database and login role are not `postgres` (and differ from serve-timescale's defaults) and the role is not a
 * superuser, so a test that leans on the embedded server's names or rights fails here as it would on a real server.
 * With `TIMESCALE_URL` set, the tests use that server instead and drop the schemas and roles they created at the end,
 * so a persistent server can run the suite again and again.
 *
 * To run the suite against a separate server with yet another database and user (what CI or a teammate can repeat
 * without Docker), start ./serve-timescale.ts in its own process and point TIMESCALE_URL at it:
 *   npx ts-node --transpile-only test/support/serve-timescale.ts --port 25432 --database tsdb --user tsdbadmin
 *   TIMESCALE_URL=postgresql://tsdbadmin:pw@127.0.0.1:25432/tsdb npm test
 *
 * Tests take every connection parameter from `timescale()` (never a literal host, port, database, user or password),
 * use one client at a time and always end it (PGlite serves one connection at a time, others wait for at most 30 s,
 * and every connection shares one session), and isolate themselves by schema (`freshSchema`) and role names
 * (`freshName` + `trackRole`), never by database.
 */
import type { Client } from "pg";
import type { Connection } from "../../components/database/providers/live";
import { parseDatabaseUrl } from "../../components/database/providers/connection";
import { ident } from "../../components/database/sql";
import { recordEngineStart } from "./engine-starts";
import { serveTimescale } from "./serve-timescale";

export interface TimescaleTarget extends Connection {
  /** `postgresql://user:password@host:port/database`. */
  readonly url: string;
  /** True for the in-process server. */
  readonly embedded: boolean;
}

interface Running {
  target: TimescaleTarget;
  /** Cleans up after a test file and keeps the server for the next one. */
  release(): Promise<void>;
  stop(): Promise<void>;
}

let running: Promise<Running> | undefined;
const createdSchemas: string[] = [];
const createdRoles: string[] = [];
let counter = 0;

/** Connection parameters of the test server, starting the embedded one on first use (about 2.5 s). */
export function timescale(): Promise<TimescaleTarget> {
  running ??= start();
  return running.then((r) => r.target);
}

async function start(): Promise<Running> {
  const url = process.env.TIMESCALE_URL;
  if (url) {
    return { target: { ...parseDatabaseUrl(url, "TIMESCALE_URL"), url, embedded: false }, release: cleanUpRealServer, stop: cleanUpRealServer };
  }
  const started = Date.now();
  const served = await serveTimescale({ port: 0, database: "scout_tests", user: "scout_tester", password: `pw-${process.pid}` });
  recordEngineStart("timescale", Date.now() - started);
  const { host, port, database, user, password } = served;
  return { target: { host, port, database, user, password, url: served.url, embedded: true }, release: () => served.reset(), stop: () => served.stop() };
}

async function cleanUpRealServer(): Promise<void> {
  if (createdSchemas.length === 0 && createdRoles.length === 0) return;
  const { escapeIdentifier } = require("pg") as typeof import("pg");
  const schemas = createdSchemas.splice(0);
  const roles = createdRoles.splice(0);
  await withDb(async (c) => {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${escapeIdentifier(s)} CASCADE`);
    for (const r of roles) {
      await c.query(`DROP OWNED BY ${escapeIdentifier(r)}`).catch(() => undefined);
      await c.query(`DROP ROLE IF EXISTS ${escapeIdentifier(r)}`);
    }
  });
}

/**
 * After a test file, when the process runs more files (a worker of the parallel run): on the embedded server, closes
 * what the file left open and resets the shared session (`ServedTimescale.reset`); on a TIMESCALE_URL server, drops
 * the schemas and roles the file made. The server stays up for the next file. Called by ./hooks.ts.
 */
export async function endTestFile(): Promise<void> {
  if (!running) return;
  await (await running).release();
}

/** Stops the embedded server (or cleans up on a real one). Called by ./hooks.ts after the last file. */
export async function stopTimescale(): Promise<void> {
  if (!running) return;
  const r = await running;
  running = undefined;
  await r.stop();
}

/** A schema name no other test uses (a plain lower-case identifier). */
export function freshSchema(prefix = "t"): string {
  const name = freshName(prefix);
  createdSchemas.push(name);
  return name;
}

/** `text` with every regular-expression metacharacter escaped, for building patterns from target values. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A unique identifier for roles and other cluster-wide names; registered for cleanup when used as a role. */
export function freshName(prefix = "n"): string {
  return `${prefix}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 7)}`;
}

/** Marks a role for cleanup on a real server. */
export function trackRole(role: string): string {
  createdRoles.push(role);
  return role;
}

/** Runs `fn` with a fresh client on the test server and always ends it. */
export async function withDb<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const pg = require("pg") as typeof import("pg");
  const t = await timescale();
  const client = new pg.Client({ host: t.host, port: t.port, database: t.database, user: t.user, password: t.password });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Let the connecting role SET ROLE to `role`, a role it created. PostgreSQL 16+ gives a role's creator ADMIN OPTION on
 * it but no membership, so it grants itself SET without INHERIT. PostgreSQL 15, which TimescaleDB up to 2.2x still
 * supports behind TIMESCALE_URL, has no `WITH INHERIT/SET` options: a plain membership grants SET there.
 */
export async function grantSetRole(client: Client, role: string): Promise<void> {
  const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  const grant = `GRANT ${ident(role)} TO CURRENT_USER`;
  await client.query(Number(rows[0].v) >= 160000 ? `${grant} WITH INHERIT FALSE, SET TRUE` : grant);
}

/**
 * Whether the test server is PGlite (the embedded engine, or serve-timescale.ts behind TIMESCALE_URL): one session for
 * every connection whatever the login, and no COPY FROM STDIN.
 */
export async function isPglite(): Promise<boolean> {
  const [{ v }] = await query<{ v: string }>("SELECT version() AS v");
  return /emscripten|emcc/i.test(v);
}

/** One query on a fresh client; the rows. */
export async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return withDb(async (c) => (await c.query(sql, params)).rows as T[]);
}

/** The column lists the crypto-scout collector inserts with, per table (its INSERT statements, verbatim). */
export const COLLECTOR_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  cmc_fgi: ["score", "name", "timestamp", "btc_price", "btc_volume"],
  bybit_lpl: ["return_coin", "return_coin_icon", "description", "website", "whitepaper", "rules", "stake_begin_time", "stake_end_time", "trade_begin_time"],
  bybit_spot_tickers_btc_usdt: ["timestamp", "cross_sequence", "last_price", "high_price_24h", "low_price_24h", "prev_price_24h", "volume_24h", "turnover_24h", "price_24h_pcnt", "usd_index_price"],
  bybit_spot_tickers_eth_usdt: ["timestamp", "cross_sequence", "last_price", "high_price_24h", "low_price_24h", "prev_price_24h", "volume_24h", "turnover_24h", "price_24h_pcnt", "usd_index_price"],
};

/** One row's values for the collector's column list, as SQL over `i` (a generate_series) and `t` (its time). */
const ROW_VALUES: Record<string, string> = {
  cmc_fgi: "i % 100, CASE WHEN i % 2 = 0 THEN 'Fear' ELSE 'Greed' END, t, 60000 + i, 1000000 + i",
  bybit_lpl: "'COIN' || (i % 3), 'https://icon/' || i, 'pool ' || i, 'https://site', 'https://paper', 'rules', t, t + INTERVAL '7 days', CASE WHEN i % 2 = 0 THEN t + INTERVAL '8 days' END",
  bybit_spot_tickers_btc_usdt: "t, i, 60000.12, 61000.5, 59000.25, 59500, 1234.12345678, 98765.4321, 0.0123, CASE WHEN i % 2 = 0 THEN 60000.123456 END",
  bybit_spot_tickers_eth_usdt: "t, i, 3000.12, 3100.5, 2900.25, 2950, 4321.12345678, 56789.4321, -0.0123, NULL",
};

/**
 * `INSERT INTO schema.table (<collector's columns>) SELECT ...`: `rows` rows per table, spread evenly over the last
 * `spanDays` days (so older ones fall in chunks a compression policy would have compressed).
 */
export function collectorInsertSql(schema: string, table: string, rows: number, spanDays: number): string {
  const { escapeIdentifier } = require("pg") as typeof import("pg");
  const columns = COLLECTOR_COLUMNS[table].map(escapeIdentifier).join(", ");
  return (
    `INSERT INTO ${escapeIdentifier(schema)}.${escapeIdentifier(table)} (${columns}) ` +
    `SELECT ${ROW_VALUES[table]} FROM (SELECT i, now() - (i * ${spanDays / rows}) * INTERVAL '1 day' AS t FROM generate_series(1, ${rows}) AS i) AS g`
  );
}

/** Row counts per table of the schema. */
export async function rowCounts(schema: string, tables: readonly string[]): Promise<Record<string, number>> {
  const { escapeIdentifier } = require("pg") as typeof import("pg");
  return withDb(async (c) => {
    const out: Record<string, number> = {};
    for (const t of tables) out[t] = Number((await c.query(`SELECT count(*) AS n FROM ${escapeIdentifier(schema)}.${escapeIdentifier(t)}`)).rows[0].n);
    return out;
  });
}

/** The schema's policy jobs: `table/kind` to job id and the setting the model manages. */
export async function policyJobs(schema: string): Promise<Record<string, { jobId: number; setting: string }>> {
  const rows = await query<{ hypertable_name: string; proc_name: string; job_id: number; setting: string }>(
    `SELECT hypertable_name, proc_name, job_id, COALESCE(config->>'compress_after', config->>'drop_after', config->>'index_name') AS setting
       FROM timescaledb_information.jobs WHERE hypertable_schema = $1`,
    [schema],
  );
  const kinds: Record<string, string> = { policy_compression: "compression", policy_retention: "retention", policy_reorder: "reorder" };
  return Object.fromEntries(rows.map((r) => [`${r.hypertable_name}/${kinds[r.proc_name] ?? r.proc_name}`, { jobId: Number(r.job_id), setting: r.setting }]));
}

/** Compresses the chunks of `schema.table` older than `olderThan` (what the compression policy would have done). */
export async function compressOldChunks(schema: string, table: string, olderThan = "7 days"): Promise<number> {
  const { escapeIdentifier, escapeLiteral } = require("pg") as typeof import("pg");
  const rel = escapeLiteral(`${escapeIdentifier(schema)}.${escapeIdentifier(table)}`);
  const rows = await query(`SELECT compress_chunk(c, if_not_compressed => TRUE) FROM show_chunks(${rel}, older_than => INTERVAL ${escapeLiteral(olderThan)}) c`);
  return rows.length;
}
