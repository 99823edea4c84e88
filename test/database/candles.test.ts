/**
 * Candles (components/database/candles.ts, providers/candles.ts): the config and its window rules, what the program
 * registers for both stacks under Pulumi mocks, and on the real engine candle-by-candle equality with first/max/min/
 * last ... GROUP BY time_bucket over the table's interface, for numeric and scaled storage, with buckets spanning a
 * compressed and an uncompressed chunk, NULLs, late rows inside the refresh window, real-time buckets, bounded
 * batches of the backfill, adoption with no change, in-place policy changes and refused redefinitions.
 *
 * On a native server the scheduler runs jobs: every policy here is created paused in the transaction that adds it,
 * and the tests run the jobs themselves (CALL run_job), as test/monitoring-sql.test.ts does.
 */
import { strict as assert } from "node:assert";
import type { Client } from "pg";
import { applyTableOverrides, CRYPTO_SCOUT_TABLES, hypertableSpec, type TableSpec } from "../../components/database/model";
import { candleSpecs, modelCandles, type CandlePolicy, type CandleSpec } from "../../components/database/candles";
import {
  applyCandles,
  applyCandlePolicy,
  candleAggregateProvider,
  candlePolicies,
  inspectCandlePolicy,
  planLiveCandlePolicy,
  planLiveCandles,
  removeCandlePolicy,
} from "../../components/database/providers/candles";
import { applyDatabase, applyTable, runStatements } from "../../components/database/providers/live";
import { loadStackDefinition } from "../../components/config/stack";
import { stackConfigSource } from "../../components/config/stack-files";
import { ident, literal, qualified } from "../../components/database/sql";
import { loadSerializedProvider, plain, runProgram } from "../support/program";
import { freshSchema, timescale, withDb } from "../support/timescale";

const BTC = CRYPTO_SCOUT_TABLES[1];
const ETH = CRYPTO_SCOUT_TABLES[2];

describe("candles: config and window rules", () => {
  it("both ticker tables get 1m, 1h and 1d by default, windows derived from the raw retention", () => {
    const specs = candleSpecs("crypto_scout", BTC);
    assert.deepEqual(specs.map((s) => [s.name, s.source, s.refresh.window, s.refresh.lag, s.refresh.every, s.retention?.after ?? "forever"]), [
      ["bybit_spot_tickers_btc_usdt_candles_1m", "bybit_spot_tickers_btc_usdt", "179 days", "1 minute", "5 minutes", "730 days"],
      ["bybit_spot_tickers_btc_usdt_candles_1h", "bybit_spot_tickers_btc_usdt_candles_1m", "179 days", "1 hour", "1 hour", "forever"],
      ["bybit_spot_tickers_btc_usdt_candles_1d", "bybit_spot_tickers_btc_usdt_candles_1h", "179 days", "1 day", "1 day", "forever"],
    ]);
    assert.deepEqual(modelCandles("crypto_scout", CRYPTO_SCOUT_TABLES).map((s) => s.table), [BTC.name, BTC.name, BTC.name, ETH.name, ETH.name, ETH.name]);
    const scaled = candleSpecs("crypto_scout", { ...BTC, storage: "scaled" });
    assert.match(scaled[0].query, /FROM "crypto_scout"\."bybit_spot_tickers_btc_usdt_scaled"/);
    assert.match(scaled[0].query, /\(max\("last_price"\) \* 0\.01\)::NUMERIC\(20,2\) AS "high"/, "integers aggregated, converted once per bucket");
    assert.notEqual(scaled[1].definitionHash, specs[1].definitionHash, "the 1h candles are re-created when the 1m ones are");
    assert.equal(scaled[1].query, specs[1].query);
  });

  it("overrides merge per interval; false removes one interval or all; a coarser interval builds on the finest one left", () => {
    const tables = applyTableOverrides("tables", { bybit_spot_tickers_btc_usdt: { candles: { "1m": { retention: "365 days" }, "1h": false } }, bybit_spot_tickers_eth_usdt: { candles: false } });
    const specs = modelCandles("s", tables);
    assert.deepEqual(specs.map((s) => [s.interval, s.source, s.retention?.after ?? "forever"]), [
      ["1m", BTC.name, "365 days"],
      ["1d", `${BTC.name}_candles_1m`, "forever"],
    ]);
    // Shorter raw retention: the default window follows it.
    const short = applyTableOverrides("tables", { bybit_spot_tickers_btc_usdt: { retention: "30 days" } });
    assert.equal(candleSpecs("s", short[1])[0].refresh.window, "29 days");
  });

  it("refuses config that would let retention drop rows before their candles exist, naming the key", () => {
    const load = (candles: unknown, extra: Record<string, unknown> = {}) => () =>
      modelCandles("s", applyTableOverrides("tables", { bybit_spot_tickers_btc_usdt: { candles, ...extra } }));
    assert.throws(load({ "1m": { refreshWindow: "180 days" } }), /Invalid config 'tables\.bybit_spot_tickers_btc_usdt\.candles\.1m\.refreshWindow': got "180 days"; expected at most 179 days 23 hours 59 minutes: /);
    assert.throws(load({ "1m": { refreshWindow: "180 days" } }), /the table's retention \(180 days\) less one bucket, so a refresh never covers dropped rows/);
    assert.throws(load({ "1m": { refreshWindow: "5 minutes" } }), /'tables\.bybit_spot_tickers_btc_usdt\.candles\.1m\.refreshWindow': got "5 minutes"; expected at least 7 minutes/);
    assert.throws(load({ "1m": { refreshWindow: "10 days" }, "1h": { refreshWindow: "5 days" } }), /candles\.1h\.refreshWindow': got "5 days"; expected at least the finer candles' refreshWindow \(10 days\)/);
    assert.throws(load({ "1m": { retention: "100 days" } }), /candles\.1m\.retention': got "100 days"; expected forever or more than refreshWindow plus one bucket/);
    assert.throws(load({ "1m": { retention: "200 days" }, "1h": { refreshWindow: "200 days" } }), /candles\.1h\.refreshWindow': got "200 days"; expected at most .*the 1m candles' retention/);
    // The default window follows a raw retention too short for it.
    assert.throws(load({}, { retention: "3 hours", compressAfter: "1 hour", chunkInterval: "1 hour" }), /candles\.1m\.refreshWindow \(default none\)'/);
    // A raw retention shorter than the table's own windows is refused by the table's rules first.
    assert.throws(load({}, { retention: "1 day" }), /'tables\.bybit_spot_tickers_btc_usdt\.retention': got "1 day"; expected a retention longer than compressAfter/);
    // Shapes.
    assert.throws(() => applyTableOverrides("tables", { bybit_spot_tickers_btc_usdt: { candles: { "5m": {} } } }), /'tables\.bybit_spot_tickers_btc_usdt\.candles\.5m': got \{\}; expected a key naming one of the candle intervals 1m, 1h, 1d/);
    assert.throws(() => applyTableOverrides("tables", { bybit_spot_tickers_btc_usdt: { candles: { "1h": { retention: "ever" } } } }), /candles\.1h\.retention': got "ever"; expected an interval .*, or forever/);
    assert.throws(() => applyTableOverrides("tables", { bybit_spot_tickers_btc_usdt: { candles: { "1h": { window: "1 day" } } } }), /candles\.1h\.window': got "1 day"; expected one of the fields refreshWindow, refreshEvery, retention/);
    assert.throws(() => modelCandles("s", applyTableOverrides("tables", { cmc_fgi: { candles: {} } })), /'tables\.cmc_fgi\.candles': got \{\}; expected false for a table without the ticker columns last_price, volume_24h, turnover_24h/);
  });

  it("the stack definition refuses it at load, as pulumi preview does", () => {
    assert.equal(loadStackDefinition(stackConfigSource("prod")).tables[1].candles !== false, true);
    const source = stackConfigSource("prod", undefined);
    const bad = { ...source, get: (k: string) => (k === "tables" ? { bybit_spot_tickers_eth_usdt: { candles: { "1d": { refreshWindow: "1 day" } } } } : source.get(k)) };
    assert.throws(() => loadStackDefinition(bad as never), /Invalid config 'tables\.bybit_spot_tickers_eth_usdt\.candles\.1d\.refreshWindow': got "1 day"; expected at least 3 days/);
  });
});

describe("candles under Pulumi mocks", function () {
  this.timeout(60_000);
  for (const [stack, storage] of [["dev", "scaled"], ["prod", "numeric"]] as const) {
    it(`${stack}: 1m/1h/1d aggregates for both ticker tables (${storage} storage), their policies, and the reader's SELECT`, async () => {
      const run = await runProgram(stack);
      const dynamic = run.ofType("pulumi-nodejs:dynamic:Resource");
      const aggregates = dynamic.filter((r) => r.name.startsWith("crypto-scout-candles-"));
      const names = [BTC.name, ETH.name].flatMap((t) => ["1m", "1h", "1d"].map((i) => `${t}_candles_${i}`));
      // Registered as each one's source resolves: compare as sets.
      assert.deepEqual(aggregates.map((r) => (plain(r.inputs.candles) as CandleSpec).name).sort(), [...names].sort());
      for (const a of aggregates) {
        const c = plain(a.inputs.candles) as CandleSpec;
        assert.equal(a.inputs.destroyDropsTables, false);
        if (c.interval === "1m") assert.match(c.query, new RegExp(`FROM "crypto_scout"\\."${c.name.replace("_candles_1m", "")}${storage === "scaled" ? "_scaled" : ""}"\\n`));
        else assert.match(c.query, /FROM "crypto_scout"\."\w+_candles_1[mh]"\n/);
      }
      const policies = dynamic.filter((r) => /^crypto-scout-(refresh|retention)-.*_candles_/.test(r.name));
      assert.deepEqual(
        policies.map((r) => `${r.inputs.candles}/${(plain(r.inputs.policy) as CandlePolicy).kind}`).sort(),
        [BTC.name, ETH.name].flatMap((t) => [`${t}_candles_1m/refresh`, `${t}_candles_1m/retention`, `${t}_candles_1h/refresh`, `${t}_candles_1d/refresh`]).sort(),
      );
      const reader = run.one("postgresql:index/grant:Grant", "reader-tables");
      assert.deepEqual(plain(reader.inputs.objects), [...CRYPTO_SCOUT_TABLES.map((t) => t.name), ...names]);
      const writer = run.one("postgresql:index/grant:Grant", "writer-tables");
      assert.deepEqual(plain(writer.inputs.objects), CRYPTO_SCOUT_TABLES.map((t) => t.name), "the writer writes no candles");
      // The hypertables' inputs are what they were before candles existed.
      const hypertable = dynamic.find((r) => r.name === `crypto-scout-hypertable-${BTC.name}`)!;
      assert.ok(!("candles" in (plain(hypertable.inputs.table) as object)));
    });
  }
});

/** A ticker table for the engine tests: 30-minute chunks (so an hour spans two), price and volume nullable. */
function testTable(storage: "numeric" | "scaled"): TableSpec {
  return {
    ...BTC,
    chunkInterval: "30 minutes",
    columns: BTC.columns.map((c) => (c.name === "last_price" || c.name === "volume_24h" ? { ...c, nullable: true } : c)),
    storage,
  };
}

/** Creates the aggregate and its policies, paused in the transactions that add them (a native scheduler waits). */
async function createPaused(c: Client, schema: string, spec: CandleSpec): Promise<void> {
  await applyCandles(c, schema, spec);
  for (const p of candlePolicies(spec)) {
    const statements = await planLiveCandlePolicy(c, schema, spec.name, p);
    const proc = p.kind === "refresh" ? "policy_refresh_continuous_aggregate" : "policy_retention";
    await runStatements(c, [
      ...statements,
      `SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_schema = ${literal(schema)} AND hypertable_name = ${literal(spec.name)} AND proc_name = ${literal(proc)}`,
    ]);
  }
}

async function refreshJob(c: Client, schema: string, name: string): Promise<number> {
  const live = await inspectCandlePolicy(c, schema, name, "refresh");
  assert.ok(live, `${name} has a refresh policy`);
  return live.jobId;
}

/** Runs each aggregate's refresh policy once, finest first, as the scheduler would. */
async function runRefreshes(c: Client, schema: string, specs: readonly CandleSpec[]): Promise<void> {
  for (const s of specs) await c.query(`CALL run_job(${await refreshJob(c, schema, s.name)})`);
}

const RAW_BUCKET: Record<string, string> = { "1m": "1 minute", "1h": "1 hour", "1d": "1 day" };

/** What an analyst computes from the table's interface (the table, or the scaled view). */
async function rawCandles(c: Client, schema: string, table: string, interval: string): Promise<unknown[]> {
  const sql =
    `SELECT time_bucket(INTERVAL ${literal(RAW_BUCKET[interval])}, "timestamp") AS bucket, first(last_price, "timestamp") AS open, max(last_price) AS high, ` +
    `min(last_price) AS low, last(last_price, "timestamp") AS close, last(volume_24h, "timestamp") AS volume_24h, last(turnover_24h, "timestamp") AS turnover_24h, ` +
    `count(*) AS ticks FROM ${qualified(schema, table)} GROUP BY 1 ORDER BY 1`;
  return (await c.query(sql)).rows.map((r) => JSON.stringify(r));
}

async function candles(c: Client, schema: string, name: string): Promise<unknown[]> {
  return (await c.query(`SELECT * FROM ${qualified(schema, name)} ORDER BY bucket`)).rows.map((r) => JSON.stringify(r));
}

async function assertExact(c: Client, schema: string, t: TableSpec, specs: readonly CandleSpec[], when: string): Promise<void> {
  for (const s of specs) {
    const raw = await rawCandles(c, schema, t.name, s.interval);
    assert.ok(raw.length > 0);
    assert.deepEqual(await candles(c, schema, s.name), raw, `${t.storage} ${s.interval} candles ${when}`);
  }
}

/**
 * Rows every 7 s over six hours starting two days ago at midnight UTC, with distinct timestamps; every 97th price
 * and every 89th volume NULL (so some buckets open or close on NULL).
 */
function insertRows(schema: string, table: string, from: string, count: number, stepSeconds: number, salt: number): string {
  return (
    `INSERT INTO ${qualified(schema, table)} ("timestamp", cross_sequence, last_price, high_price_24h, low_price_24h, prev_price_24h, volume_24h, turnover_24h, price_24h_pcnt, usd_index_price) ` +
    `SELECT ${from} + i * INTERVAL '${stepSeconds} seconds', i, CASE WHEN (i + ${salt}) % 97 = 0 THEN NULL ELSE 60000 + ((i * 7919 + ${salt}) % 100000) / 100.0 END, 61000.5, 59000.25, 59500, ` +
    `CASE WHEN (i + ${salt}) % 89 = 0 THEN NULL ELSE 1234 + ((i * 104729 + ${salt}) % 100000000) / 100000000.0 END, 98765 + (i % 10000) / 10000.0, 0.0123, NULL ` +
    `FROM generate_series(0, ${count - 1}) AS i`
  );
}

/** Rows, and so 1-minute candles, of the backfill test: 14 days of one every 5 minutes. */
const BACKFILL_CANDLES = 14 * 288;

describe("candles on TimescaleDB", function () {
  this.timeout(180_000);

  for (const storage of ["numeric", "scaled"] as const) {
    it(`${storage}: every candle equals the GROUP BY over the table's interface, across compressed chunks, NULLs, late rows and the real-time bucket`, async () => {
      const schema = freshSchema("cd");
      const t = testTable(storage);
      const specs = candleSpecs(schema, t);
      const hypertable = storage === "scaled" ? `${t.name}_scaled` : t.name;
      const day = `date_trunc('day', now()) - INTERVAL '2 days'`;
      await withDb(async (c) => {
        await applyDatabase(c, schema);
        await applyTable(c, schema, hypertableSpec(t));
        await c.query(insertRows(schema, t.name, day, 3086, 7, 0));
        // An hour bucket spans two 30-minute chunks: compress every other chunk, so each spans a compressed one and
        // an uncompressed one.
        const chunks = (await c.query(`SELECT c FROM show_chunks(${literal(qualified(schema, hypertable))}) c ORDER BY 1`)).rows.map((r) => r.c as string);
        assert.ok(chunks.length >= 12, `${chunks.length} chunks`);
        for (const [i, chunk] of chunks.entries()) if (i % 2 === 0) await c.query(`SELECT compress_chunk(${literal(chunk)})`);
        for (const s of specs) await createPaused(c, schema, s);
        await runRefreshes(c, schema, specs);
        const materialized = Number((await c.query(`SELECT count(*) AS n FROM ${qualified(schema, specs[0].name)} WHERE bucket < now() - INTERVAL '1 day'`)).rows[0].n);
        assert.ok(materialized > 300, `${materialized} 1-minute candles`);
        await assertExact(c, schema, t, specs, "after the first refresh");

        // Late rows inside the window: into compressed and uncompressed chunks, earlier than a bucket's first row
        // (a new open), with new highs and lows and NULLs; at half seconds, so no timestamp repeats (with equal
        // timestamps first/last may pick either row, on the table as in the candles). Materialized candles are stale until the policy runs.
        await c.query(insertRows(schema, t.name, `${day} + INTERVAL '3.5 seconds'`, 500, 37, 13));
        await c.query(`INSERT INTO ${qualified(schema, t.name)} ("timestamp", cross_sequence, last_price, high_price_24h, low_price_24h, prev_price_24h, volume_24h, turnover_24h, price_24h_pcnt) VALUES
          (${day} + INTERVAL '1 hour 1 second', 1, 99999.99, 1, 1, 1, NULL, 1.5, 0), (${day} + INTERVAL '1 hour 2 seconds', 2, 0.01, 1, 1, 1, 7.5, 1.5, 0)`);
        const stale = await candles(c, schema, specs[0].name);
        assert.notDeepEqual(stale, await rawCandles(c, schema, t.name, "1m"), "materialized candles wait for the refresh");
        await runRefreshes(c, schema, specs);
        await assertExact(c, schema, t, specs, "after late rows and a refresh");

        // The newest bucket is real-time: rows of the last minute show at once, without a refresh.
        await c.query(insertRows(schema, t.name, `now() - INTERVAL '20 seconds'`, 5, 1, 5));
        await assertExact(c, schema, t, specs, "with rows of the current minute (real-time)");

        // A second up changes nothing; the reader sees them with SELECT on the view only.
        for (const s of specs) {
          assert.deepEqual(await planLiveCandles(c, schema, s), { statements: [], refusals: [] });
          for (const p of candlePolicies(s)) assert.deepEqual(await planLiveCandlePolicy(c, schema, s.name, p), [], `${s.name} ${p.kind}`);
        }
      });
    });
  }

  it("the providers, loaded from their serialized text as Pulumi ships them, create, diff with no change and delete", async () => {
    const run = await runProgram("prod");
    const schema = freshSchema("cs");
    const [spec] = candleSpecs(schema, BTC);
    const target = await timescale();
    const conn = { host: target.host, port: target.port, database: target.database, user: target.user, password: target.password };
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      await applyTable(c, schema, hypertableSpec(BTC));
    });
    const recorded = (suffix: string) => run.ofType("pulumi-nodejs:dynamic:Resource").find((r) => r.name === `crypto-scout-${suffix}`)!;
    const aggregate = loadSerializedProvider(recorded(`candles-${spec.name}`).inputs.__provider as string);
    const inputs = { ...conn, schema, candles: { name: spec.name, interval: spec.interval, query: spec.query, definitionHash: spec.definitionHash }, destroyDropsTables: false };
    const created = await aggregate.create(inputs);
    assert.equal(created.id, `${schema}.${spec.name}`);
    assert.deepEqual(await aggregate.diff!(created.id, created.outs, inputs), { changes: false });
    for (const p of candlePolicies(spec)) {
      const policy = loadSerializedProvider(recorded(`${p.kind}-${spec.name}`).inputs.__provider as string);
      const pi = { ...conn, schema, candles: spec.name, policy: p };
      await policy.create(pi);
      assert.deepEqual(await policy.diff!("id", pi, pi), { changes: false });
      assert.deepEqual(await policy.diff!("id", pi, { ...pi, policy: p.kind === "refresh" ? { ...p, every: "10 minutes" } : { ...p, after: "800 days" } }), { changes: true }, "an in-place update");
      await policy.delete!("id", pi);
      await withDb(async (c) => assert.equal(await inspectCandlePolicy(c, schema, spec.name, p.kind), undefined));
    }
    await aggregate.delete!(created.id, created.outs);
    await withDb(async (c) => assert.deepEqual((await planLiveCandles(c, schema, spec)).statements, [], "kept"));
  });

  it("a table with 14 days of history is not backfilled on create: the policy materializes bounded batches, newest first, run by run", async function () {
    const schema = freshSchema("cb");
    const t: TableSpec = { ...testTable("numeric"), chunkInterval: "1 day" };
    const [oneMinute] = candleSpecs(schema, t);
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      await applyTable(c, schema, hypertableSpec(t));
      // 14 days of one row every 5 minutes (14 chunks): more than one run's 10 batches of a day each. The batches are
      // days, whatever the rows in them; a row a minute took five times the work to give the same evidence.
      await c.query(insertRows(schema, t.name, `date_trunc('day', now()) - INTERVAL '14 days'`, BACKFILL_CANDLES, 300, 0));
      const t0 = Date.now();
      await createPaused(c, schema, oneMinute);
      const created = Date.now() - t0;
      const [mat] = (await c.query(`SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS rel FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 AND view_name = $2`, [schema, oneMinute.name])).rows;
      const stored = async () => (await c.query(`SELECT count(*)::int AS n, min(bucket) AS first FROM ${mat.rel}`)).rows[0] as { n: number; first: Date | null };
      assert.equal((await stored()).n, 0, `created WITH NO DATA (in ${created} ms)`);
      const [{ v }] = (await c.query(`SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'`)).rows;
      const job = await refreshJob(c, schema, oneMinute.name);
      await c.query(`CALL run_job(${job})`);
      const first = await stored();
      const days = (Date.now() - first.first!.getTime()) / 86_400_000;
      assert.ok(first.n > 0 && first.n < BACKFILL_CANDLES, `${v}: one run materialized ${first.n} candles`);
      assert.ok(days > 9 && days <= 11, `one run reached back ${days.toFixed(1)} days (10 batches of a day, newest first)`);
      await c.query(`CALL run_job(${job})`);
      assert.equal((await stored()).n, BACKFILL_CANDLES, "the next run finishes the backfill");
      await assertExact(c, schema, t, [oneMinute], "after the backfill");
    });
  });

  it("adopts, changes a window in place, re-creates nothing, and refuses another definition; delete keeps the candles", async () => {
    const schema = freshSchema("ca");
    const t = testTable("numeric");
    const [oneMinute, oneHour] = candleSpecs(schema, t);
    const target = await timescale();
    await withDb(async (c) => {
      await applyDatabase(c, schema);
      await applyTable(c, schema, hypertableSpec(t));
      await createPaused(c, schema, oneMinute);
      await createPaused(c, schema, oneHour);
      const job = await refreshJob(c, schema, oneMinute.name);
      // A changed window and schedule: alter_job on the same job.
      const changed: CandlePolicy = { ...oneMinute.refresh, window: "30 days", every: "10 minutes" };
      const statements = await applyCandlePolicy(c, schema, oneMinute.name, changed);
      assert.equal(statements.length, 1);
      assert.match(statements[0], /^SELECT alter_job\(\d+, schedule_interval => INTERVAL '10 minutes', config => j\.config \|\| jsonb_build_object\('start_offset', '30 days'::text/);
      assert.deepEqual(await planLiveCandlePolicy(c, schema, oneMinute.name, changed), []);
      assert.equal(await refreshJob(c, schema, oneMinute.name), job, "same job");
      // Retention changed in place too, then removed (kept forever): the job goes, the candles stay.
      await applyCandlePolicy(c, schema, oneMinute.name, { kind: "retention", after: "1000 days" });
      assert.equal((await inspectCandlePolicy(c, schema, oneMinute.name, "retention"))?.dropAfterSeconds, 1000 * 86400);
      await removeCandlePolicy(c, schema, oneMinute.name, "retention");
      assert.equal(await inspectCandlePolicy(c, schema, oneMinute.name, "retention"), undefined);
      // Another definition under the same name is refused with how to keep or drop it.
      const other = candleSpecs(schema, { ...t, storage: "scaled" })[0];
      const plan = await planLiveCandles(c, schema, other);
      assert.deepEqual(plan.statements, []);
      assert.match(plan.refusals[0], /exists with another definition .*RENAME TO .*DROP MATERIALIZED VIEW IF EXISTS/);
      // Real-time switched off by hand: switched back on in place.
      await c.query(`ALTER MATERIALIZED VIEW ${qualified(schema, oneHour.name)} SET (timescaledb.materialized_only = true)`);
      assert.deepEqual((await planLiveCandles(c, schema, oneHour)).statements, [`ALTER MATERIALIZED VIEW ${qualified(schema, oneHour.name)} SET (timescaledb.materialized_only = false)`]);
      await applyCandles(c, schema, oneHour);
    });
    // The provider: delete without the opt-in keeps the aggregate; a changed definition is refused at preview.
    const conn = { host: target.host, port: target.port, database: target.database, user: target.user, password: target.password };
    const inputs = { ...conn, schema, candles: oneMinute, destroyDropsTables: false };
    await candleAggregateProvider.delete!(`${schema}.${oneMinute.name}`, inputs);
    await withDb(async (c) => assert.deepEqual((await planLiveCandles(c, schema, oneMinute)).statements, []));
    const other = candleSpecs(schema, { ...t, storage: "scaled" })[0];
    await assert.rejects(candleAggregateProvider.diff!(`${schema}.${oneMinute.name}`, inputs, { ...inputs, candles: other }), /Refused to change the candles; nothing was applied:\n- .*exists with another definition/);
    const opted = await candleAggregateProvider.diff!(`${schema}.${oneMinute.name}`, { ...inputs, destroyDropsTables: true }, { ...inputs, candles: other, destroyDropsTables: true });
    assert.deepEqual(opted, { changes: true, replaces: ["candles"], deleteBeforeReplace: true });
    // With the opt-in, delete drops it (the coarser one first, as Pulumi orders dependents).
    await candleAggregateProvider.delete!(`${schema}.${oneHour.name}`, { ...conn, schema, candles: oneHour, destroyDropsTables: true });
    await candleAggregateProvider.delete!(`${schema}.${oneMinute.name}`, { ...conn, schema, candles: oneMinute, destroyDropsTables: true });
    await withDb(async (c) => assert.equal((await c.query(`SELECT to_regclass(${literal(`${ident(schema)}.${ident(oneMinute.name)}`)}) AS r`)).rows[0].r, null));
  });
});
