/**
 * The hypertable and policy providers on a real TimescaleDB (embedded, or TIMESCALE_URL): fresh apply, a second apply
 * that changes nothing, in-place updates of every window, additive and refused destructive changes, the collector's
 * inserts, and destroy with and without dropping tables. Each test works in its own schema.
 */
import { strict as assert } from "node:assert";
import { CRYPTO_SCOUT_TABLES, applyTableOverrides, hypertableSpec, type HypertableSpec, type TableSpec } from "../../components/database/model";
import { tablePolicies } from "../../components/database/sql";
import * as pulumi from "@pulumi/pulumi";
import { applyDatabase, applyModel, UNKNOWN, type Connection } from "../../components/database/providers/live";
import { hypertableProvider, type HypertableInputs } from "../../components/database/providers/hypertable";
import { policyProvider, type PolicyInputs } from "../../components/database/providers/policy";
import { collectorInsertSql, COLLECTOR_COLUMNS, compressOldChunks, freshSchema, policyJobs, query, rowCounts, timescale, withDb } from "../support/timescale";

const TABLE_NAMES = CRYPTO_SCOUT_TABLES.map((t) => t.name);

interface Deployed {
  hypertables: HypertableInputs[];
  policies: PolicyInputs[];
}

/** What `pulumi up` does with the dynamic resources (the schema itself is the postgresql provider's). */
async function deploy(conn: Connection, schema: string, tables: readonly TableSpec[] = CRYPTO_SCOUT_TABLES, destroyDropsTables = false): Promise<Deployed> {
  await withDb((c) => applyDatabase(c, schema));
  const out: Deployed = { hypertables: [], policies: [] };
  for (const table of tables) {
    const created = await hypertableProvider.create({ ...conn, schema, table: hypertableSpec(table), destroyDropsTables });
    assert.equal(created.id, `${schema}.${table.name}`);
    out.hypertables.push(created.outs as HypertableInputs);
    for (const policy of tablePolicies(table)) {
      const p = await policyProvider.create({ ...conn, schema, table: table.name, policy });
      assert.equal(p.id, `${schema}.${table.name}/${policy.kind}`);
      out.policies.push(p.outs as PolicyInputs);
    }
  }
  return out;
}

describe("database providers: Pulumi's unknown-value placeholder", () => {
  it("is the one the Pulumi SDK sends at preview (live.ts keeps a copy so the serialized providers need not load it)", () => {
    assert.equal(UNKNOWN, pulumi.runtime.unknownValue);
  });
});

describe("database providers on TimescaleDB", function () {
  this.timeout(60_000);
  let conn: Connection;
  before(async () => {
    const t = await timescale();
    conn = { host: t.host, port: t.port, database: t.database, user: t.user, password: t.password };
  });

  it("fresh apply: 4 hypertables with 1-day chunks and compression, 12 policies with the model's settings", async () => {
    const schema = freshSchema();
    await deploy(conn, schema);
    const hypertables = await query<{ hypertable_name: string; compression_enabled: boolean; time_interval: string; column_name: string }>(
      `SELECT h.hypertable_name, h.compression_enabled, d.column_name, extract(epoch FROM d.time_interval)::int8::text AS time_interval
         FROM timescaledb_information.hypertables h JOIN timescaledb_information.dimensions d USING (hypertable_schema, hypertable_name)
        WHERE h.hypertable_schema = $1 ORDER BY 1`,
      [schema],
    );
    assert.deepEqual(
      hypertables.map((h) => [h.hypertable_name, h.column_name, h.time_interval, h.compression_enabled]),
      [
        ["bybit_lpl", "stake_begin_time", "86400", true],
        ["bybit_spot_tickers_btc_usdt", "timestamp", "86400", true],
        ["bybit_spot_tickers_eth_usdt", "timestamp", "86400", true],
        ["cmc_fgi", "timestamp", "86400", true],
      ],
    );
    const jobs = await policyJobs(schema);
    assert.equal(Object.keys(jobs).length, 12);
    assert.equal(jobs["cmc_fgi/compression"].setting, "7 days");
    assert.equal(jobs["cmc_fgi/retention"].setting, "730 days");
    assert.equal(jobs["cmc_fgi/reorder"].setting, "idx_cmc_fgi_timestamp");
    assert.equal(jobs["bybit_spot_tickers_eth_usdt/retention"].setting, "180 days");
    assert.equal(jobs["bybit_lpl/reorder"].setting, "idx_bybit_lpl_stake_begin_time");
    const settings = await query<{ hypertable: string; segmentby: string | null; orderby: string }>(
      `SELECT hypertable::text AS hypertable, segmentby, orderby FROM timescaledb_information.hypertable_compression_settings WHERE hypertable::text LIKE $1 ORDER BY 1`,
      [`${schema}.%`],
    );
    assert.deepEqual(settings.map((s) => [s.hypertable.split(".")[1], s.segmentby || "", s.orderby]), [
      ["bybit_lpl", "return_coin", "stake_begin_time DESC,id DESC"],
      ["bybit_spot_tickers_btc_usdt", "", '"timestamp" DESC,id DESC'],
      ["bybit_spot_tickers_eth_usdt", "", '"timestamp" DESC,id DESC'],
      ["cmc_fgi", "name", '"timestamp" DESC,id DESC'],
    ]);
    const indexes = await query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`, [schema]);
    assert.deepEqual(indexes.map((i) => i.indexname), [
      "bybit_lpl_pkey", "bybit_spot_tickers_btc_usdt_pkey", "bybit_spot_tickers_eth_usdt_pkey", "cmc_fgi_pkey",
      "idx_bybit_lpl_return_coin", "idx_bybit_lpl_stake_begin_time", "idx_bybit_spot_tickers_btc_usdt_timestamp",
      "idx_bybit_spot_tickers_eth_usdt_timestamp", "idx_cmc_fgi_timestamp",
    ], "the model's indexes and keys, and no default time index besides them");
  });

  it("a second apply is a no-op: every diff reports no changes and the shared apply runs nothing", async () => {
    const schema = freshSchema();
    const deployed = await deploy(conn, schema);
    for (const h of deployed.hypertables) assert.deepEqual(await hypertableProvider.diff!(`${schema}.${h.table.name}`, h, h), { changes: false });
    for (const p of deployed.policies) assert.deepEqual(await policyProvider.diff!(`${schema}.${p.table}/${p.policy.kind}`, p, p), { changes: false });
    assert.deepEqual(await withDb((c) => applyModel(c, schema, CRYPTO_SCOUT_TABLES)), []);
  });

  it("takes the collector's inserts, with exactly its column lists, in every table", async () => {
    const schema = freshSchema();
    await deploy(conn, schema);
    await withDb(async (c) => {
      const q = (t: string) => `INSERT INTO ${schema}.${t} (${COLLECTOR_COLUMNS[t].join(", ")}) VALUES (${COLLECTOR_COLUMNS[t].map((_, i) => `$${i + 1}`).join(", ")})`;
      const now = new Date();
      await c.query(q("cmc_fgi"), [55, "Neutral", now, "97000.12", "45000000000.55"]);
      await c.query(q("bybit_lpl"), ["MNT", "https://icon", "Stake MNT", "https://mantle.xyz", "https://paper", "rules", now, new Date(+now + 7 * 86400e3), null]);
      for (const t of ["bybit_spot_tickers_btc_usdt", "bybit_spot_tickers_eth_usdt"]) {
        await c.query(q(t), [now, 123456789, "97000.12", "98000.00", "96000.50", "96500.00", "1234.12345678", "119876543.2109", "0.0123", null]);
      }
      for (const t of TABLE_NAMES) await c.query(collectorInsertSql(schema, t, 20, 20));
    });
    assert.deepEqual(await rowCounts(schema, TABLE_NAMES), Object.fromEntries(TABLE_NAMES.map((t) => [t, 21])));
    const ids = await query<{ id: string }>(`SELECT id FROM ${schema}.cmc_fgi ORDER BY id LIMIT 2`);
    assert.deepEqual(ids.map((r) => Number(r.id)), [1, 2], "ids come from the BIGSERIAL");
  });

  it("a changed window or reorder index updates only that policy, in place: no replacement, same job", async () => {
    const schema = freshSchema();
    const deployed = await deploy(conn, schema);
    for (const t of TABLE_NAMES) await withDb((c) => c.query(collectorInsertSql(schema, t, 30, 30)));
    await compressOldChunks(schema, "bybit_lpl");
    const before = await policyJobs(schema);
    const [lpl] = applyTableOverrides("tables", { bybit_lpl: { compressAfter: "3 days", retention: "365 days" } }).filter((t) => t.name === "bybit_lpl");
    const changed: TableSpec = { ...lpl, reorderIndex: "idx_bybit_lpl_return_coin" };

    const oldHypertable = deployed.hypertables.find((h) => h.table.name === "bybit_lpl")!;
    assert.deepEqual(await hypertableProvider.diff!("id", oldHypertable, { ...oldHypertable, table: hypertableSpec(changed) }), { changes: false }, "the hypertable is not touched");
    for (const old of deployed.policies) {
      const policy = old.table === "bybit_lpl" ? tablePolicies(changed).find((p) => p.kind === old.policy.kind)! : old.policy;
      const news = { ...old, policy };
      if (old.table !== "bybit_lpl") {
        assert.deepEqual(await policyProvider.diff!("id", old, news), { changes: false }, `${old.table}/${old.policy.kind} untouched`);
        continue;
      }
      assert.deepEqual(await policyProvider.diff!("id", old, news), { changes: true }, `${policy.kind}: in place, no replacement`);
      await policyProvider.update!("id", old, news);
      assert.deepEqual(await policyProvider.diff!("id", news, news), { changes: false });
    }
    const after = await policyJobs(schema);
    assert.deepEqual(
      ["compression", "retention", "reorder"].map((k) => after[`bybit_lpl/${k}`]),
      [
        { jobId: before["bybit_lpl/compression"].jobId, setting: "3 days" },
        { jobId: before["bybit_lpl/retention"].jobId, setting: "365 days" },
        { jobId: before["bybit_lpl/reorder"].jobId, setting: "idx_bybit_lpl_return_coin" },
      ],
    );
    for (const [key, job] of Object.entries(before)) if (!key.startsWith("bybit_lpl/")) assert.deepEqual(after[key], job, key);
    assert.equal((await rowCounts(schema, ["bybit_lpl"])).bybit_lpl, 30);
  });

  it("a changed chunk interval updates only the hypertable, in place", async () => {
    const schema = freshSchema();
    const deployed = await deploy(conn, schema);
    await withDb((c) => c.query(collectorInsertSql(schema, "cmc_fgi", 10, 10)));
    const [cmc] = applyTableOverrides("tables", { cmc_fgi: { chunkInterval: "12 hours" } });
    const old = deployed.hypertables.find((h) => h.table.name === "cmc_fgi")!;
    const news = { ...old, table: hypertableSpec(cmc) };
    assert.deepEqual(await hypertableProvider.diff!("id", old, news), { changes: true });
    await hypertableProvider.update!("id", old, news);
    assert.deepEqual(await hypertableProvider.diff!("id", news, news), { changes: false });
    for (const p of deployed.policies.filter((x) => x.table === "cmc_fgi")) {
      const policy = tablePolicies(cmc).find((x) => x.kind === p.policy.kind)!;
      assert.deepEqual(await policyProvider.diff!("id", p, { ...p, policy }), { changes: false }, `${p.policy.kind} untouched`);
    }
    const [interval] = await query<{ s: string }>(
      `SELECT extract(epoch FROM time_interval)::int8::text AS s FROM timescaledb_information.dimensions WHERE hypertable_schema = $1 AND hypertable_name = 'cmc_fgi'`,
      [schema],
    );
    assert.equal(interval.s, "43200");
    assert.equal((await rowCounts(schema, ["cmc_fgi"])).cmc_fgi, 10);
  });

  it("applies additive changes in place: a nullable column, a column with a default, a new index", async () => {
    const schema = freshSchema();
    const deployed = await deploy(conn, schema);
    await withDb((c) => c.query(collectorInsertSql(schema, "cmc_fgi", 20, 20)));
    await compressOldChunks(schema, "cmc_fgi");
    const old = deployed.hypertables.find((h) => h.table.name === "cmc_fgi")!;
    const table: HypertableSpec = {
      ...old.table,
      columns: [...old.table.columns, { name: "classification", type: "TEXT", nullable: true }, { name: "source", type: "TEXT", default: "'cmc'" }],
      indexes: [...old.table.indexes, { name: "idx_cmc_fgi_score", columns: [{ column: "score" }] }],
    };
    const news = { ...old, table };
    assert.deepEqual(await hypertableProvider.diff!("id", old, news), { changes: true });
    await hypertableProvider.update!("id", old, news);
    assert.deepEqual(await hypertableProvider.diff!("id", news, news), { changes: false });
    const cols = await query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'cmc_fgi' ORDER BY ordinal_position`, [schema]);
    assert.deepEqual(cols.slice(-2).map((c) => c.column_name), ["classification", "source"]);
    const [row] = await query<{ n: string; sources: string }>(`SELECT count(*) AS n, string_agg(DISTINCT source, ',') AS sources FROM ${schema}.cmc_fgi`);
    assert.deepEqual([Number(row.n), row.sources], [20, "cmc"]);
    assert.equal((await query(`SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'idx_cmc_fgi_score'`, [schema])).length, 1);
  });

  it("refuses destructive changes in diff and update, saying how to migrate, and changes nothing", async () => {
    const schema = freshSchema();
    const deployed = await deploy(conn, schema);
    await withDb((c) => c.query(collectorInsertSql(schema, "cmc_fgi", 10, 10)));
    const old = deployed.hypertables.find((h) => h.table.name === "cmc_fgi")!;
    const dropped = { ...old, table: { ...old.table, columns: old.table.columns.filter((c) => c.name !== "btc_volume") } };
    const renamed = { ...old, table: { ...old.table, columns: old.table.columns.map((c) => (c.name === "btc_volume" ? { ...c, name: "btc_vol_24h" } : c)) } };
    const retyped = { ...old, table: { ...old.table, columns: old.table.columns.map((c) => (c.name === "score" ? { ...c, type: "TEXT" } : c)) } };
    const cases: Array<[HypertableInputs, RegExp]> = [
      [dropped, /column btc_volume \(numeric\(20,2\)\) is in the database but not in the model; dropping or renaming a column is never done automatically\. To drop it, run ALTER TABLE "[^"]+"\."cmc_fgi" DROP COLUMN "btc_volume"/],
      [renamed, /If it was renamed to btc_vol_24h, run ALTER TABLE "[^"]+"\."cmc_fgi" RENAME COLUMN "btc_volume" TO "btc_vol_24h"/],
      [retyped, /column score is integer in the database but text in the model; a column's type is never changed automatically\. To migrate, run ALTER TABLE .* ALTER COLUMN "score" TYPE TEXT USING "score"::TEXT/],
    ];
    for (const [news, message] of cases) {
      await assert.rejects(hypertableProvider.diff!("id", old, news), (e: Error) => {
        assert.match(e.message, /^Refused to change the schema; nothing was applied:/);
        assert.match(e.message, message);
        return true;
      });
      await assert.rejects(hypertableProvider.update!("id", old, news), message);
    }
    const cols = await query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'cmc_fgi' ORDER BY ordinal_position`,
      [schema],
    );
    assert.deepEqual(cols.map((c) => c.column_name), ["id", "score", "name", "timestamp", "btc_price", "btc_volume"]);
    assert.equal(cols[1].data_type, "integer");
    assert.equal((await rowCounts(schema, ["cmc_fgi"])).cmc_fgi, 10);
  });

  it("destroy removes the policies and keeps every table and row", async () => {
    const schema = freshSchema();
    const deployed = await deploy(conn, schema);
    for (const t of TABLE_NAMES) await withDb((c) => c.query(collectorInsertSql(schema, t, 15, 15)));
    await compressOldChunks(schema, "cmc_fgi");
    for (const p of deployed.policies) await policyProvider.delete!("id", p);
    for (const h of deployed.hypertables) await hypertableProvider.delete!("id", h);
    assert.deepEqual(await policyJobs(schema), {});
    assert.deepEqual(await rowCounts(schema, TABLE_NAMES), Object.fromEntries(TABLE_NAMES.map((t) => [t, 15])));
    // Deleting again (e.g. a retried destroy) is harmless.
    for (const p of deployed.policies) await policyProvider.delete!("id", p);
    // And a later `up` adopts the tables and puts the policies back without touching the rows.
    await deploy(conn, schema);
    assert.equal(Object.keys(await policyJobs(schema)).length, 12);
    assert.deepEqual(await rowCounts(schema, TABLE_NAMES), Object.fromEntries(TABLE_NAMES.map((t) => [t, 15])));
  });

  it("destroy drops the tables only when the stack opted in (destroyDropsTables)", async () => {
    const schema = freshSchema();
    const deployed = await deploy(conn, schema, CRYPTO_SCOUT_TABLES, true);
    await withDb((c) => c.query(collectorInsertSql(schema, "cmc_fgi", 5, 5)));
    for (const p of deployed.policies) await policyProvider.delete!("id", p);
    for (const h of deployed.hypertables) await hypertableProvider.delete!("id", h);
    assert.deepEqual(await query(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [schema]), []);
  });
});
