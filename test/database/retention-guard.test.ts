/**
 * The live retention guard on a real TimescaleDB (embedded, or TIMESCALE_URL): a retention change that would drop
 * chunks which exist now is refused in the policy provider's diff (preview), update and create, saying how many chunks
 * and rows go, unless the stack opted in for that retention; with the opt-in, the job then drops exactly those. Rows
 * sit at noon of each of the last 40 days, one per 1-day chunk, so which chunks a retention drops does not depend on
 * the time of day. The schema's jobs are paused, so a native server's scheduler does not compress or drop meanwhile.
 */
import { strict as assert } from "node:assert";
import { applyTableOverrides, CRYPTO_SCOUT_TABLES, hypertableSpec, type TableSpec } from "../../components/database/model";
import { qualified, tablePolicies, type PolicySpec } from "../../components/database/sql";
import { applyDatabase, type Connection } from "../../components/database/providers/live";
import { hypertableProvider } from "../../components/database/providers/hypertable";
import { policyProvider, type PolicyInputs } from "../../components/database/providers/policy";
import { freshSchema, policyJobs, query, timescale, withDb } from "../support/timescale";

const FGI = CRYPTO_SCOUT_TABLES.find((t) => t.name === "cmc_fgi") as TableSpec;

/** Creates `table` with its policies as `pulumi up` does, pauses the jobs, and writes one row at noon of each of the last `days` days. */
async function deployWithHistory(conn: Connection, schema: string, table: TableSpec, days = 40): Promise<PolicyInputs> {
  await withDb((c) => applyDatabase(c, schema));
  await hypertableProvider.create({ ...conn, schema, table: hypertableSpec(table), destroyDropsTables: false });
  let retention: PolicyInputs | undefined;
  for (const policy of tablePolicies(table)) {
    const created = await policyProvider.create({ ...conn, schema, table: table.name, policy });
    if (policy.kind === "retention") retention = created.outs as PolicyInputs;
  }
  await withDb(async (c) => {
    await c.query(`SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_schema = $1`, [schema]);
    const noon = `date_trunc('day', now()) - i * INTERVAL '1 day' + INTERVAL '12 hours'`;
    const insert =
      table.name === "cmc_fgi"
        ? `INSERT INTO ${qualified(schema, table.name)} (score, name, "timestamp", btc_price, btc_volume) SELECT i, 'Fear', ${noon}, 1, 2 FROM generate_series(1, ${days}) i`
        : `INSERT INTO ${qualified(schema, table.name)} ("timestamp", cross_sequence, last_price, high_price_24h, low_price_24h, prev_price_24h, volume_24h, turnover_24h, price_24h_pcnt) ` +
          `SELECT ${noon}, i, 60000.12, 61000.5, 59000.25, 59500, 1234.12345678, 98765.4321, 0.0123 FROM generate_series(1, ${days}) i`;
    await c.query(insert);
  });
  return retention as PolicyInputs;
}

const retention = (after: string, allowDrop = false): PolicySpec => ({ kind: "retention", after, ...(allowDrop ? { allowDrop: true } : {}) });
const count = async (schema: string, table: string) => Number((await query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(schema, table)}`))[0].n);

describe("retention guard on TimescaleDB", function () {
  this.timeout(120_000);
  let conn: Connection;
  before(async () => {
    const t = await timescale();
    conn = { host: t.host, port: t.port, database: t.database, user: t.user, password: t.password };
  });

  it("refuses 730 days -> 30 days at preview and at up, saying how many chunks and rows go; nothing changes", async () => {
    const schema = freshSchema();
    const old = await deployWithHistory(conn, schema, FGI);
    const news = { ...old, policy: retention("30 days") };
    const message = new RegExp(
      `Refused to change the retention; nothing was applied: A retention from 730 days to 30 days on ${schema}\\.cmc_fgi drops 10 chunks that exist now ` +
        `\\(10 rows, from .+ to .+\\) at the retention job's next run\\. To keep them, leave tables\\.cmc_fgi\\.retention at 730 days .*; ` +
        `to drop them, set tables\\.cmc_fgi\\.allowRetentionDrop to "30 days" \\(the opt-in holds for this one retention\\) and run again\\.$`,
    );
    await assert.rejects(policyProvider.diff!("id", old, news), message);
    await assert.rejects(policyProvider.update!("id", old, news), message);
    assert.equal((await policyJobs(schema))["cmc_fgi/retention"].setting, "730 days");
    assert.equal(await count(schema, "cmc_fgi"), 40);
    // A longer retention, or a shorter one that drops nothing yet, passes.
    assert.deepEqual(await policyProvider.diff!("id", old, { ...old, policy: retention("1000 days") }), { changes: true });
    assert.deepEqual(await policyProvider.diff!("id", old, { ...old, policy: retention("60 days") }), { changes: true });
  });

  it("counts from TimescaleDB's statistics once the chunks are analyzed (approximate_row_count), exactly before", async () => {
    const schema = freshSchema();
    const old = await deployWithHistory(conn, schema, FGI);
    await withDb((c) => c.query(`ANALYZE ${qualified(schema, "cmc_fgi")}`));
    const stats = await query<{ n: string }>(
      `SELECT count(*) AS n FROM show_chunks($1::regclass, older_than => INTERVAL '30 days') c WHERE approximate_row_count(c) > 0`,
      [qualified(schema, "cmc_fgi")],
    );
    const analyzed = Number(stats[0].n) > 0;
    await assert.rejects(policyProvider.diff!("id", old, { ...old, policy: retention("30 days") }), analyzed ? /drops 10 chunks that exist now \(about 10 rows,/ : /drops 10 chunks that exist now \(10 rows,/);
  });

  it("with the opt-in for that retention: preview passes, up applies it, and the job drops exactly the chunks preview named", async () => {
    const schema = freshSchema();
    const old = await deployWithHistory(conn, schema, FGI);
    const [table] = applyTableOverrides("tables", { cmc_fgi: { retention: "30 days", allowRetentionDrop: "30 days" } });
    const policy = tablePolicies(table).find((p) => p.kind === "retention") as PolicySpec;
    assert.deepEqual(policy, { kind: "retention", after: "30 days", allowDrop: true });
    const news = { ...old, policy };
    assert.deepEqual(await policyProvider.diff!("id", old, news), { changes: true });
    await policyProvider.update!("id", old, news);
    const jobs = await policyJobs(schema);
    assert.equal(jobs["cmc_fgi/retention"].setting, "30 days");
    await withDb((c) => c.query(`CALL run_job(${jobs["cmc_fgi/retention"].jobId})`));
    assert.equal(await count(schema, "cmc_fgi"), 30);
    // Converged: the same inputs again change nothing and are not refused.
    assert.deepEqual(await policyProvider.diff!("id", news, news), { changes: false });
  });

  it("refuses adopting a table without a retention policy when the new one drops chunks (create, as after a rebuild)", async () => {
    const schema = freshSchema();
    await deployWithHistory(conn, schema, FGI);
    await withDb((c) => c.query(`SELECT remove_retention_policy($1::regclass)`, [qualified(schema, "cmc_fgi")]));
    await assert.rejects(
      policyProvider.create({ ...conn, schema, table: "cmc_fgi", policy: retention("30 days") }),
      /A retention of 30 days \(the table has no retention policy now\) on .*cmc_fgi drops 10 chunks/,
    );
    assert.equal((await policyJobs(schema))["cmc_fgi/retention"], undefined);
  });

  it("scaled storage: counts the chunks of the physical hypertable the policy is on", async () => {
    const schema = freshSchema();
    const [btc] = applyTableOverrides("tables", { bybit_spot_tickers_btc_usdt: { storage: "scaled" } }).filter((t) => t.name === "bybit_spot_tickers_btc_usdt");
    const old = await deployWithHistory(conn, schema, btc);
    await assert.rejects(
      policyProvider.diff!("id", old, { ...old, policy: retention("30 days") }),
      new RegExp(`A retention from 180 days to 30 days on ${schema}\\.bybit_spot_tickers_btc_usdt \\(stored in bybit_spot_tickers_btc_usdt_scaled\\) drops 10 chunks that exist now \\(10 rows,`),
    );
  });
});
