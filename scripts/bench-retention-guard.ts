/**
 * How long the retention guard (components/database/providers/live.ts `retentionDrop`) takes at preview on a table
 * with history, beside an exact count(*) of the same chunks (what counting every row would cost). One table with
 * the model's cmc_fgi layout, 1-day chunks over `--days` days with `--rows` rows per day, chunks older than 7 days
 * compressed (as the compression policy leaves them) and the table analyzed; then a retention of 30 days is planned
 * against the table's 730 days.
 *
 *   npm run bench:retention-guard                     # 180 days x 10000 rows on the embedded engine
 *   npm run bench:retention-guard -- --days 90 --rows 5000
 *   TIMESCALE_URL=postgresql://user:pw@host:5432/db npm run bench:retention-guard
 */
import { parseArgs } from "node:util";
import { CRYPTO_SCOUT_TABLES, hypertableSpec } from "../components/database/model";
import { addPolicySql, createExtensionSql, createSchemaSql, qualified, tablePolicies, tableSql } from "../components/database/sql";
import { retentionDrop, withClient, type Connection } from "../components/database/providers/live";
import { parseDatabaseUrl } from "../components/database/providers/connection";
import { serveTimescale } from "../test/support/serve-timescale";

const TABLE = CRYPTO_SCOUT_TABLES.find((t) => t.name === "cmc_fgi")!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { days: { type: "string", default: "180" }, rows: { type: "string", default: "10000" } } });
  const days = Number(values.days);
  const perDay = Number(values.rows);
  const url = process.env.TIMESCALE_URL;
  const served = url ? undefined : await serveTimescale({ port: 0, database: "bench", user: "bench", password: "bench" });
  const conn: Connection = url ? parseDatabaseUrl(url, "TIMESCALE_URL") : { host: served!.host, port: served!.port, database: served!.database, user: served!.user, password: served!.password };
  const schema = `bench_guard_${process.pid}`;
  try {
    await withClient(conn, async (c) => {
      for (const s of [createExtensionSql(), createSchemaSql(schema), ...tableSql(schema, hypertableSpec(TABLE)), ...tablePolicies(TABLE).map((p) => addPolicySql(schema, TABLE.name, p))]) await c.query(s);
      await c.query(`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_schema = $1`, [schema]);
      const rel = qualified(schema, TABLE.name);
      const t0 = Date.now();
      for (let d = 1; d <= days; d++) {
        await c.query(
          `INSERT INTO ${rel} (score, name, "timestamp", btc_price, btc_volume)
           SELECT i % 100, 'Fear', date_trunc('day', now()) - $1 * INTERVAL '1 day' + i * (INTERVAL '1 day' / $2), 60000 + i, 1000 + i FROM generate_series(0, $2 - 1) i`,
          [d, perDay],
        );
      }
      const loaded = Date.now() - t0;
      await c.query(`SELECT compress_chunk(c, if_not_compressed => TRUE) FROM show_chunks($1::regclass, older_than => INTERVAL '7 days') c`, [rel]);
      await c.query(`ANALYZE ${rel}`);
      const g0 = process.hrtime.bigint();
      const drop = await retentionDrop(c, schema, TABLE.name, "30 days");
      const guardMs = Number(process.hrtime.bigint() - g0) / 1e6;
      const e0 = process.hrtime.bigint();
      const exact = await c.query(`SELECT count(*)::int8 AS n FROM ${rel} WHERE "timestamp" < date_trunc('day', now()) - INTERVAL '30 days'`);
      const exactMs = Number(process.hrtime.bigint() - e0) / 1e6;
      console.log(`engine: ${url ? "TIMESCALE_URL" : "embedded (PGlite + TimescaleDB)"}; ${days} days x ${perDay} rows = ${days * perDay} rows, loaded in ${(loaded / 1000).toFixed(1)} s`);
      console.log(`retention guard (730 days -> 30 days): ${drop?.chunks ?? 0} chunks, ${drop?.estimated ? "about " : ""}${drop?.rows ?? 0} rows, in ${guardMs.toFixed(0)} ms`);
      console.log(`exact count(*) of the rows older than 30 days:   ${exact.rows[0].n} rows, in ${exactMs.toFixed(0)} ms`);
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
    });
  } finally {
    await served?.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
