/**
 * `npm run schema -- plan|apply`: the plan prints the model's SQL for a stack; apply runs the providers' code against
 * a database URL, is idempotent, and fails with a clear message and a non-zero exit code.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main, tablesForStack } from "../../scripts/schema";
import { hostPort } from "../../components/database/url";
import { escapeRegExp, freshSchema, policyJobs, query, timescale } from "../support/timescale";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("schema CLI", function () {
  this.timeout(60_000);

  it("plan prints the SQL the model implies for a stack", async () => {
    const { code, out, err } = await cli("plan", "--stack", "prod");
    assert.equal(code, 0, err);
    assert.match(out, /^-- crypto-scout-db schema for stack prod/);
    assert.match(out, /^CREATE EXTENSION IF NOT EXISTS timescaledb;$/m);
    assert.match(out, /^CREATE SCHEMA IF NOT EXISTS "crypto_scout";$/m);
    assert.equal(out.match(/^SELECT create_hypertable\(/gm)?.length, 4);
    assert.equal(out.match(/^SELECT add_(compression|retention|reorder)_policy\(/gm)?.length, 14, "12 of the tables, the 1m candles' retention of both");
    assert.match(out, /add_retention_policy\('"crypto_scout"\."bybit_spot_tickers_btc_usdt"', drop_after => INTERVAL '180 days'/);
    // Candles: three aggregates per ticker table, created without data, with their policies.
    assert.equal(out.match(/^CREATE MATERIALIZED VIEW "crypto_scout"\."bybit_spot_tickers_(btc|eth)_usdt_candles_1[mhd]"$/gm)?.length, 6);
    assert.equal(out.match(/^WITH NO DATA;$/gm)?.length, 6);
    assert.match(out, /^FROM "crypto_scout"\."bybit_spot_tickers_btc_usdt_candles_1m"$/m);
    assert.equal(out.match(/^SELECT add_continuous_aggregate_policy\(/gm)?.length, 6);
    assert.match(out, /add_retention_policy\('"crypto_scout"\."bybit_spot_tickers_eth_usdt_candles_1m"', drop_after => INTERVAL '730 days'/);
    assert.match(out, /^-- schema crypto_scout: 4 tables, 6 candle aggregates, 20 policies$/m);
  });

  it("plan takes --schema, and refuses a stack without a stack file, listing the known ones", async () => {
    const { code, out } = await cli("plan", "--stack", "dev", "--schema", "analytics");
    assert.equal(code, 0);
    assert.match(out, /CREATE TABLE IF NOT EXISTS "analytics"\."cmc_fgi"/);
    const missing = await cli("plan", "--stack", "no-such-stack");
    assert.equal(missing.code, 1);
    assert.match(missing.err, /No stack file Pulumi\.no-such-stack\.yaml; known stacks: dev, prod/);
  });

  it("reads table overrides from the stack file and rejects bad ones naming the key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-cli-"));
    try {
      fs.copyFileSync(path.resolve(__dirname, "..", "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(path.join(dir, "Pulumi.good.yaml"), "config:\n  crypto-scout-db:tables:\n    cmc_fgi:\n      retention: 365 days\n");
      fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  crypto-scout-db:tables:\n    cmc_fgi:\n      retention: 1 year\n");
      fs.writeFileSync(path.join(dir, "Pulumi.plain.yaml"), "config:\n  crypto-scout-db:hostPort: 5433\n");
      assert.equal(tablesForStack("good", dir).tables[0].retention, "365 days");
      assert.equal(tablesForStack("plain", dir).tables[0].retention, "730 days");
      assert.throws(() => tablesForStack("bad", dir), /^ConfigError: Invalid config 'tables\.cmc_fgi\.retention': got "1 year"; expected an interval/);
      assert.throws(() => tablesForStack("../etc", dir), /Invalid stack name/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("apply creates the schema, then a second run prints no changes", async () => {
    const t = await timescale();
    const schema = freshSchema("cli");
    // Named as the URL names it: the target's host, port and database (the embedded server's, or TIMESCALE_URL's).
    const where = `${schema} at ${hostPort(t)}/${t.database}`;
    const first = await cli("apply", "--stack", "prod", "--database-url", t.url, "--schema", schema);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, new RegExp(`^applied \\d+ statements to ${escapeRegExp(where)}:\n`));
    assert.equal(Object.keys(await policyJobs(schema)).length, 20, "12 of the tables, 8 of the candles");
    // The owner is the URL's user (here not a superuser, as Tiger Cloud's tsdbadmin): nothing names another owner.
    const owners = await query<{ owner: string }>("SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = $1 UNION SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", [schema]);
    assert.deepEqual(owners.map((o) => o.owner), [t.user]);
    const second = await cli("apply", "--stack", "prod", "--database-url", t.url, "--schema", schema);
    assert.equal(second.code, 0, second.err);
    assert.equal(second.out, `no changes: ${where} matches the model (4 tables, 6 candle aggregates, 20 policies)`);
  });

  it("dev's scaled ticker tables: plan prints the storage, the view and the policies on the physical table; apply twice, then no changes", async () => {
    const plan = await cli("plan", "--stack", "dev");
    assert.equal(plan.code, 0, plan.err);
    assert.match(plan.out, /^-- bybit_spot_tickers_btc_usdt: .*; scaled storage in bybit_spot_tickers_btc_usdt_scaled, behind the view bybit_spot_tickers_btc_usdt$/m);
    assert.match(plan.out, /^CREATE OR REPLACE VIEW "crypto_scout"\."bybit_spot_tickers_eth_usdt" AS SELECT$/m);
    assert.match(plan.out, /add_retention_policy\('"crypto_scout"\."bybit_spot_tickers_btc_usdt_scaled"', drop_after => INTERVAL '180 days'/);
    assert.match(plan.out, /^FROM "crypto_scout"\."bybit_spot_tickers_btc_usdt_scaled"$/m, "the 1m candles aggregate the stored integers");
    assert.equal(plan.out.match(/^SELECT create_hypertable\(/gm)?.length, 4);
    const t = await timescale();
    const schema = freshSchema("clidev");
    const first = await cli("apply", "--stack", "dev", "--database-url", t.url, "--schema", schema);
    assert.equal(first.code, 0, first.err);
    const second = await cli("apply", "--stack", "dev", "--database-url", t.url, "--schema", schema);
    assert.equal(second.out, `no changes: ${schema} at ${hostPort(t)}/${t.database} matches the model (4 tables, 6 candle aggregates, 20 policies)`);
    const kinds = await query<{ relname: string; relkind: string }>("SELECT relname, relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = $1 AND relkind IN ('r', 'v') ORDER BY relname", [schema]);
    assert.deepEqual(kinds.map((k) => `${k.relname}:${k.relkind}`), [
      "bybit_lpl:r", "bybit_spot_tickers_btc_usdt:v",
      "bybit_spot_tickers_btc_usdt_candles_1d:v", "bybit_spot_tickers_btc_usdt_candles_1h:v", "bybit_spot_tickers_btc_usdt_candles_1m:v",
      "bybit_spot_tickers_btc_usdt_scaled:r", "bybit_spot_tickers_eth_usdt:v",
      "bybit_spot_tickers_eth_usdt_candles_1d:v", "bybit_spot_tickers_eth_usdt_candles_1h:v", "bybit_spot_tickers_eth_usdt_candles_1m:v",
      "bybit_spot_tickers_eth_usdt_scaled:r", "cmc_fgi:r",
    ]);
  });

  it("apply fails with a clear message and a non-zero exit code", async () => {
    const unreachable = await cli("apply", "--stack", "prod", "--database-url", "postgresql://u:p@127.0.0.1:1/db");
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.err, /^schema apply failed for crypto_scout at 127\.0\.0\.1:1\/db: .*ECONNREFUSED/);
    const badUrl = await cli("apply", "--stack", "prod", "--database-url", "mysql://u:p@h/db");
    assert.equal(badUrl.code, 1);
    assert.match(badUrl.err, /--database-url must look like postgresql:\/\/user:password@host:port\/database/);
    const missing = await cli("apply", "--stack", "prod");
    assert.equal(missing.code, 2);
    assert.match(missing.err, /apply needs --database-url/);
    assert.equal((await cli("frobnicate", "--stack", "prod")).code, 2);
    assert.equal((await cli("plan", "--stak", "prod")).code, 2);
  });
});
