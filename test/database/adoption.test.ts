/**
 * Adoption: a database built by the seed's init script (test/fixtures/seed-init.sql, with this test's schema and role
 * names), holding rows in every table, some of them in compressed chunks. The providers adopt what exists, change
 * the policies whose settings differ from the (overridden) model in place, and lose no row.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { escapeIdentifier } from "pg";
import { CRYPTO_SCOUT_TABLES, applyTableOverrides, hypertableSpec } from "../../components/database/model";
import { tablePolicies } from "../../components/database/sql";
import { planLivePolicy, planLiveTable, type Connection } from "../../components/database/providers/live";
import { hypertableProvider } from "../../components/database/providers/hypertable";
import { policyProvider } from "../../components/database/providers/policy";
import { collectorInsertSql, compressOldChunks, freshName, freshSchema, policyJobs, query, rowCounts, timescale, trackRole, withDb } from "../support/timescale";

const SEED = fs.readFileSync(path.resolve(__dirname, "..", "fixtures", "seed-init.sql"), "utf8");
const TABLE_NAMES = CRYPTO_SCOUT_TABLES.map((t) => t.name);

/** Runs the seed's init script with the schema and the superuser role renamed. */
async function runSeed(schema: string, role: string): Promise<void> {
  const sql = SEED.replace(/\bcrypto_scout_db\b/g, role).replace(/\bcrypto_scout\b/g, schema);
  assert.ok(!/\bcrypto_scout\b/.test(sql), "every schema reference substituted");
  await withDb(async (c) => {
    await c.query(`CREATE ROLE ${escapeIdentifier(role)} LOGIN`);
    await c.query(sql);
  });
}

/**
 * Rows per table, one a day back from now: 1-day chunks, so the chunks older than the 7-day compression window (5 of
 * them) are compressed and the newer ones are not, which is what adoption must keep readable and writable. (40 days
 * gave the same evidence with 33 compressed chunks a table, and cost the embedded engine 3.5 times the chunk work.)
 */
const ROWS = 12;

describe("database providers: adopting the seed's database", function () {
  this.timeout(60_000);
  let conn: Connection;
  let schema: string;
  let counts: Record<string, number>;

  before(async () => {
    const t = await timescale();
    conn = { host: t.host, port: t.port, database: t.database, user: t.user, password: t.password };
    schema = freshSchema("seed");
    await runSeed(schema, trackRole(freshName("seed_owner")));
    await withDb(async (c) => {
      for (const table of TABLE_NAMES) await c.query(collectorInsertSql(schema, table, ROWS, ROWS));
    });
    for (const table of TABLE_NAMES) assert.ok((await compressOldChunks(schema, table)) > 0, `${table} has compressed chunks`);
    counts = await rowCounts(schema, TABLE_NAMES);
    assert.deepEqual(Object.values(counts), [ROWS, ROWS, ROWS, ROWS]);
  });

  it("the seed's database already matches the model: no DDL and no policy change is planned", async () => {
    await withDb(async (c) => {
      for (const t of CRYPTO_SCOUT_TABLES) {
        assert.deepEqual(await planLiveTable(c, schema, t), { statements: [], refusals: [] }, t.name);
        for (const p of tablePolicies(t)) assert.deepEqual(await planLivePolicy(c, schema, t.name, p), [], `${t.name}/${p.kind}`);
      }
    });
  });

  it("create adopts every table and policy, changes differing policies in place, and loses no row", async () => {
    const before = await policyJobs(schema);
    assert.equal(Object.keys(before).length, 12);
    const tables = applyTableOverrides("tables", {
      cmc_fgi: { retention: "365 days" },
      bybit_spot_tickers_btc_usdt: { chunkInterval: "12 hours", compressAfter: "2 days" },
      bybit_lpl: { retention: "1000 days" },
    });
    for (const table of tables) {
      await hypertableProvider.create({ ...conn, schema, table: hypertableSpec(table), destroyDropsTables: false });
      for (const policy of tablePolicies(table)) await policyProvider.create({ ...conn, schema, table: table.name, policy });
    }
    assert.deepEqual(await rowCounts(schema, TABLE_NAMES), counts, "no row lost");
    const after = await policyJobs(schema);
    assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
    for (const key of Object.keys(before)) assert.equal(after[key].jobId, before[key].jobId, `${key}: the seed's job kept (altered in place)`);
    assert.equal(after["cmc_fgi/retention"].setting, "365 days");
    assert.equal(after["bybit_spot_tickers_btc_usdt/compression"].setting, "2 days");
    assert.equal(after["bybit_lpl/retention"].setting, "1000 days");
    assert.equal(after["bybit_spot_tickers_eth_usdt/retention"].setting, "180 days", "matching policies untouched");
    const [interval] = await query<{ s: string }>(
      `SELECT extract(epoch FROM time_interval)::int8::text AS s FROM timescaledb_information.dimensions WHERE hypertable_schema = $1 AND hypertable_name = 'bybit_spot_tickers_btc_usdt'`,
      [schema],
    );
    assert.equal(interval.s, "43200");
    // Adopted state is stable: nothing left to do.
    await withDb(async (c) => {
      for (const t of tables) {
        assert.deepEqual((await planLiveTable(c, schema, t)).statements, [], t.name);
        for (const p of tablePolicies(t)) assert.deepEqual(await planLivePolicy(c, schema, t.name, p), [], `${t.name}/${p.kind}`);
      }
    });
    // The collector keeps writing after adoption, and older rows are still readable through compressed chunks (past the
    // 7-day compression window).
    await withDb((c) => c.query(collectorInsertSql(schema, "cmc_fgi", 3, 1)));
    assert.equal((await rowCounts(schema, ["cmc_fgi"])).cmc_fgi, ROWS + 3);
    const [oldest] = await query<{ n: string }>(`SELECT count(*) AS n FROM ${escapeIdentifier(schema)}.cmc_fgi WHERE "timestamp" < now() - INTERVAL '8 days'`);
    assert.ok(Number(oldest.n) > 0);
  });

  it("a policy removed by hand is put back; an altered one is changed back (remove + add or alter_job)", async () => {
    const table = CRYPTO_SCOUT_TABLES.find((t) => t.name === "bybit_spot_tickers_eth_usdt")!;
    const rel = `'${escapeIdentifier(schema)}.${escapeIdentifier(table.name)}'`;
    await query(`SELECT remove_retention_policy(${rel})`);
    await query(`SELECT remove_compression_policy(${rel})`);
    await query(`SELECT add_compression_policy(${rel}, INTERVAL '30 days')`);
    const [compression, retention] = tablePolicies(table);
    const inputs = (policy: typeof compression) => ({ ...conn, schema, table: table.name, policy });
    assert.deepEqual(await policyProvider.diff!("id", inputs(retention), inputs(retention)), { changes: true }, "drift shows in preview");
    await policyProvider.update!("id", inputs(retention), inputs(retention));
    await policyProvider.update!("id", inputs(compression), inputs(compression));
    const jobs = await policyJobs(schema);
    assert.equal(jobs[`${table.name}/retention`].setting, "180 days");
    assert.equal(jobs[`${table.name}/compression`].setting, "7 days");
    assert.deepEqual(await rowCounts(schema, TABLE_NAMES), { ...counts, cmc_fgi: counts.cmc_fgi + 3 });
  });
});
