/**
 * A table's storage (issue 11) as `pulumi up` and `npm run schema` manage it: the model's `storage`, the stack
 * override `tables.<table>.storage`, and the live plans on the real engine: a scaled table created, adopted with no
 * change, its policies on the physical hypertable, an empty table switched between storages, one with rows refused
 * with the migration steps, and destroy with the opt-in dropping all of it. The SQL of scaled storage itself (exact
 * values, the collector's statements, grants) is test/database/scaled.test.ts.
 */
import { strict as assert } from "node:assert";
import { applyTableOverrides, CRYPTO_SCOUT_TABLES, hypertableSpec, validateModel, type TableSpec } from "../../components/database/model";
import { tablePolicies } from "../../components/database/sql";
import { applyDatabase, applyPolicy, applyTable, dropTable, planLivePolicy, planLiveTable, removePolicy, runStatements, storageMigrationRenames } from "../../components/database/providers/live";
import { hypertableProvider } from "../../components/database/providers/hypertable";
import { loadSettings } from "../../components/config/settings";
import { stackConfigSource } from "../../components/config/stack-files";
import { plain, runProgram } from "../support/program";
import { collectorInsertSql, freshName, freshSchema, policyJobs, query, timescale, trackRole, withDb } from "../support/timescale";

const BTC = CRYPTO_SCOUT_TABLES[1];
const scaled = (t: TableSpec): TableSpec => ({ ...t, storage: "scaled" });

describe("storage: the model and the stack's tables.<table>.storage", () => {
  it("dev stores both ticker tables scaled; prod keeps the seed's numeric (no storage field at all in its inputs)", () => {
    const dev = applyTableOverrides("tables", loadSettings(stackConfigSource("dev")).tableOverrides);
    assert.deepEqual(dev.map((t) => [t.name, t.storage ?? "numeric"]), [
      ["cmc_fgi", "numeric"], ["bybit_spot_tickers_btc_usdt", "scaled"], ["bybit_spot_tickers_eth_usdt", "scaled"], ["bybit_lpl", "numeric"],
    ]);
    const prod = applyTableOverrides("tables", loadSettings(stackConfigSource("prod")).tableOverrides);
    for (const t of prod) assert.ok(!("storage" in hypertableSpec(t)), `${t.name}: a numeric table's inputs are as before`);
    assert.equal(hypertableSpec(dev[1]).storage, "scaled");
  });

  it("refuses a storage that is not numeric or scaled, and scaled for a table without NUMERIC(p,s) columns, naming the key", () => {
    assert.throws(() => applyTableOverrides("tables", { cmc_fgi: { storage: "bigint" } }), /Invalid config 'tables\.cmc_fgi\.storage': got "bigint"; expected numeric \(NUMERIC columns, as the earlier podman-compose deployment\) or scaled/);
    assert.throws(() => applyTableOverrides("tables", { bybit_lpl: { storage: "scaled" } }), /Invalid table model 'bybit_lpl\.storage': got "scaled"; expected numeric for a table without NUMERIC\(p,s\) columns/);
    assert.equal(applyTableOverrides("tables", { cmc_fgi: { storage: "scaled", retention: "90 days" } })[0].storage, "scaled");
    assert.throws(() => validateModel([{ ...BTC, storage: "float" as never }]), /'bybit_spot_tickers_btc_usdt\.storage': got "float"/);
  });
});

describe("storage under Pulumi mocks", () => {
  it("dev's ticker hypertable resources carry storage scaled; their grants and policies name the table, as for numeric", async () => {
    const run = await runProgram("dev");
    const hypertables = run.ofType("pulumi-nodejs:dynamic:Resource").filter((r) => r.name.includes("-hypertable-"));
    assert.deepEqual(
      hypertables.map((r) => [r.name.replace("crypto-scout-hypertable-", ""), (plain(r.inputs.table) as { storage?: string }).storage ?? "-"]),
      [["cmc_fgi", "-"], ["bybit_spot_tickers_btc_usdt", "scaled"], ["bybit_spot_tickers_eth_usdt", "scaled"], ["bybit_lpl", "-"]],
    );
    const writerTables = run.one("postgresql:index/grant:Grant", "writer-tables");
    assert.deepEqual(plain(writerTables.inputs.objects), CRYPTO_SCOUT_TABLES.map((t) => t.name), "the views have the tables' names");
    const retention = run.one("pulumi-nodejs:dynamic:Resource", "-retention-bybit_spot_tickers_btc_usdt");
    assert.equal(plain(retention.inputs.table), "bybit_spot_tickers_btc_usdt", "the provider finds the physical hypertable itself");
  });
});

describe("storage on TimescaleDB: what pulumi up and the schema CLI do", function () {
  this.timeout(60_000);

  it("creates a scaled table, adopts it with no change, and puts its policies on the physical hypertable", async () => {
    const schema = freshSchema("st");
    const t = scaled(BTC);
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      assert.ok((await applyTable(c, schema, hypertableSpec(t))).length > 5);
      assert.deepEqual(await planLiveTable(c, schema, hypertableSpec(t)), { statements: [], refusals: [] }, "a second up changes nothing");
      for (const p of tablePolicies(t)) await applyPolicy(c, schema, t.name, p);
      for (const p of tablePolicies(t)) assert.deepEqual(await planLivePolicy(c, schema, t.name, p), [], `${p.kind}: adopted`);
    });
    const jobs = await query<{ hypertable_name: string }>("SELECT DISTINCT hypertable_name FROM timescaledb_information.jobs WHERE hypertable_schema = $1", [schema]);
    assert.deepEqual(jobs.map((j) => j.hypertable_name), [`${t.name}_scaled`]);
    assert.equal(Object.keys(await policyJobs(schema)).length, 3);
    const [kind] = await query<{ relkind: string }>("SELECT relkind FROM pg_class WHERE oid = $1::regclass", [`${schema}.${t.name}`]);
    assert.equal(kind.relkind, "v");
    // Drift: a dropped rule (the view's INSERT path) is a change, and applying puts it back.
    await withDb(async (c) => {
      await c.query(`DROP RULE scaled_insert ON ${schema}.${t.name}`);
      assert.ok((await planLiveTable(c, schema, hypertableSpec(t))).statements.some((s) => /CREATE OR REPLACE RULE/.test(s)));
      await applyTable(c, schema, hypertableSpec(t));
      assert.deepEqual((await planLiveTable(c, schema, hypertableSpec(t))).statements, []);
      await c.query(collectorInsertSql(schema, t.name, 10, 1));
    });
  });

  it("switches an empty table between storages; refuses one with rows at preview (diff), with the migration steps", async () => {
    const schema = freshSchema("sw");
    const t = BTC;
    const t0 = await timescale();
    const conn = { host: t0.host, port: t0.port, database: t0.database, user: t0.user, password: t0.password };
    const writer = trackRole(freshName("sww"));
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      // The stage's default privileges (DefaultPrivileges resources, as the owner): what keeps the writer's rights on
      // a table re-created by a switch, which the explicit grants (read back for relkind r only) would not notice.
      await c.query(`CREATE ROLE ${writer} NOLOGIN`);
      await c.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT INSERT, SELECT ON TABLES TO ${writer}`);
      await c.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, USAGE ON SEQUENCES TO ${writer}`);
      await applyTable(c, schema, hypertableSpec(t));
      for (const p of tablePolicies(t)) await applyPolicy(c, schema, t.name, p);
      // Empty: numeric -> scaled is done, and the policies follow to the physical table on the next apply.
      await applyTable(c, schema, hypertableSpec(scaled(t)));
      const rights = async () =>
        (
          await c.query(
            `SELECT has_table_privilege($1, $2, 'INSERT') AND has_table_privilege($1, $2, 'SELECT') AND has_sequence_privilege($1, $3, 'USAGE') AS ok`,
            [writer, `${schema}.${t.name}`, `${schema}.${t.name}_id_seq`],
          )
        ).rows[0].ok;
      assert.equal(await rights(), true, "the writer can write through the new view and take ids");
      for (const p of tablePolicies(t)) assert.equal((await planLivePolicy(c, schema, t.name, p)).length, 1, `${p.kind} to be added to ${t.name}_scaled`);
      for (const p of tablePolicies(t)) await applyPolicy(c, schema, t.name, p);
      // Empty again: scaled -> numeric.
      await applyTable(c, schema, hypertableSpec(t));
      assert.equal(await rights(), true, "and into the re-created table");
      assert.deepEqual((await planLiveTable(c, schema, hypertableSpec(t))).statements, []);
      await c.query(collectorInsertSql(schema, t.name, 5, 1));
    });
    const olds = { ...conn, schema, table: hypertableSpec(t), destroyDropsTables: false };
    const news = { ...olds, table: hypertableSpec(scaled(t)) };
    await assert.rejects(hypertableProvider.diff!(`${schema}.${t.name}`, olds, news), (e: Error) => {
      assert.match(e.message, /^Refused to change the schema; nothing was applied:\n- \S+\.bybit_spot_tickers_btc_usdt: the model stores it scaled but the database holds it numeric, with rows; .*ALTER TABLE .* RENAME TO bybit_spot_tickers_btc_usdt_numeric_old; ALTER INDEX .* RENAME TO idx_bybit_spot_tickers_btc_usdt_timestamp_old; run pulumi up .*count\(\*\) and the sum of every numeric column/);
      return true;
    });
    assert.equal((await query(`SELECT count(*)::int AS n FROM ${schema}.${t.name}`))[0].n, 5, "no row lost");
  });

  it("the migration the refusal describes works: numeric with rows to scaled, range by range, verified exactly, and back", async () => {
    const schema = freshSchema("mig");
    const sums = `count(*)::text || '/' || sum(last_price)::text || '/' || sum(volume_24h)::text || '/' || sum(turnover_24h)::text || '/' || sum(price_24h_pcnt)::text || '/' || coalesce(sum(usd_index_price), 0)::text AS s`;
    const migrate = async (from: "numeric" | "scaled", to: TableSpec) => {
      await withDb(async (c) => {
        const { old, renames } = storageMigrationRenames(schema, hypertableSpec(to), from);
        for (const r of renames) await c.query(r);
        await applyTable(c, schema, hypertableSpec(to)); // pulumi up
        for (const p of tablePolicies(to)) await applyPolicy(c, schema, to.name, p);
        for (const day of [0, 1, 2]) {
          const range = `"timestamp" >= now() - INTERVAL '${day + 1} days' AND "timestamp" < now() - INTERVAL '${day} days'`;
          await c.query(`INSERT INTO ${schema}.${to.name} SELECT * FROM ${schema}.${old} WHERE ${range}`);
          const [a, b] = [await c.query(`SELECT ${sums} FROM ${schema}.${old} WHERE ${range}`), await c.query(`SELECT ${sums} FROM ${schema}.${to.name} WHERE ${range}`)];
          assert.equal(b.rows[0].s, a.rows[0].s, `day ${day}: rows and sums equal`);
        }
        await c.query(`SELECT setval('${schema}.${to.name}_id_seq', (SELECT max(id) FROM ${schema}.${to.name}))`);
        await c.query(from === "scaled" ? `DROP VIEW ${schema}.${old}` : `DROP TABLE ${schema}.${old}`);
        if (from === "scaled") await c.query(`DROP TABLE ${schema}.${old}_data`);
        assert.deepEqual(await planLiveTable(c, schema, hypertableSpec(to)), { statements: [], refusals: [] }, "then pulumi up has nothing to do");
        await c.query(collectorInsertSql(schema, to.name, 1, 0.01)); // the writers go on, with fresh ids
      });
    };
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      await applyTable(c, schema, hypertableSpec(BTC));
      await c.query(collectorInsertSql(schema, BTC.name, 30, 2.9));
    });
    await migrate("numeric", scaled(BTC));
    await migrate("scaled", BTC);
    const [{ n, ids }] = await query<{ n: number; ids: number }>(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${schema}.${BTC.name}`);
    assert.deepEqual([n, ids], [32, 32], "every row kept, ids unique");
    assert.equal(Object.keys(await policyJobs(schema)).length, 3);
  });

  it("a row written between the plan and the switch aborts it: nothing dropped", async () => {
    const schema = freshSchema("race");
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      await applyTable(c, schema, hypertableSpec(BTC));
      const plan = await planLiveTable(c, schema, hypertableSpec(scaled(BTC)));
      assert.ok(plan.statements.some((x) => x.startsWith("DROP TABLE")), "the empty table would be dropped");
      await c.query(collectorInsertSql(schema, BTC.name, 1, 0.01));
      await assert.rejects(runStatements(c, plan.statements), /got rows while its storage was being switched; nothing was changed/);
    });
    assert.equal((await query(`SELECT count(*)::int AS n FROM ${schema}.${BTC.name}`))[0].n, 1);
  });

  it("the other way: a scaled table with rows is not turned back into a numeric one", async () => {
    const schema = freshSchema("sw2");
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      await applyTable(c, schema, hypertableSpec(scaled(BTC)));
      await c.query(collectorInsertSql(schema, BTC.name, 3, 1));
      const plan = await planLiveTable(c, schema, hypertableSpec(BTC));
      assert.deepEqual(plan.statements, []);
      assert.match(plan.refusals[0], /the model stores it numeric but the database holds it scaled, with rows; .*ALTER VIEW .* RENAME TO bybit_spot_tickers_btc_usdt_scaled_old; ALTER TABLE .*_scaled" RENAME TO bybit_spot_tickers_btc_usdt_scaled_old_data; ALTER INDEX .*"idx_bybit_spot_tickers_btc_usdt_timestamp" RENAME TO idx_bybit_spot_tickers_btc_usdt_timestamp_old; ALTER SEQUENCE .*"bybit_spot_tickers_btc_usdt_id_seq" RENAME TO bybit_spot_tickers_btc_usdt_scaled_old_id_seq; run pulumi up/);
    });
  });

  it("destroy keeps a scaled table's rows; with the opt-in it drops the view, the functions and the storage", async () => {
    const schema = freshSchema("dr");
    const t = scaled(BTC);
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      await applyTable(c, schema, hypertableSpec(t));
      for (const p of tablePolicies(t)) await applyPolicy(c, schema, t.name, p);
      await c.query(collectorInsertSql(schema, t.name, 4, 1));
      for (const p of tablePolicies(t)) await removePolicy(c, schema, t.name, p.kind);
    });
    assert.deepEqual(await policyJobs(schema), {}, "policy resources' delete removes the physical table's jobs");
    assert.equal((await query(`SELECT count(*)::int AS n FROM ${schema}.${t.name}`))[0].n, 4);
    await withDb((c) => dropTable(c, schema, t.name));
    const left = await query("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND relkind IN ('r', 'v')", [schema]);
    assert.deepEqual(left, []);
  });
});
