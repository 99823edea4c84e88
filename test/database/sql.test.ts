/**
 * SQL generation and plans from live state to the model: pure functions, no database.
 */
import { strict as assert } from "node:assert";
import { CRYPTO_SCOUT_TABLES, type TableSpec } from "../../components/database/model";
import {
  addPolicySql,
  alterPolicySql,
  createHypertableSql,
  createTableSql,
  ident,
  literal,
  modelSql,
  parseCompressionColumns,
  planPolicy,
  planTable,
  qualified,
  removePolicySql,
  tablePolicies,
  type LiveTable,
} from "../../components/database/sql";

const cmc = CRYPTO_SCOUT_TABLES[0];
const lpl = CRYPTO_SCOUT_TABLES[3];

/** The live state a fresh apply of `t` leaves behind. */
function liveOf(t: TableSpec): LiveTable {
  const canonical: Record<string, string> = {
    BIGSERIAL: "bigint", INTEGER: "integer", TEXT: "text", TIMESTAMPTZ: "timestamp with time zone", BIGINT: "bigint",
  };
  return {
    relkind: "r",
    columns: t.columns.map((c) => ({ name: c.name, type: canonical[c.type] ?? c.type.toLowerCase(), notNull: !c.nullable })),
    primaryKey: [...t.primaryKey],
    indexes: [
      { name: `${t.name}_pkey`, columns: t.primaryKey.map((column) => ({ column })), unique: true, primary: true },
      ...t.indexes.map((i) => ({ name: i.name, columns: i.columns, unique: !!i.unique, primary: false })),
    ],
    hypertable: { timeColumn: t.timeColumn, chunkIntervalSeconds: 86400 },
    compression: { segmentBy: [...t.compression.segmentBy], orderBy: [...t.compression.orderBy] },
  };
}

describe("database SQL: quoting and statements", () => {
  it("quotes identifiers and literals with pg's escaping", () => {
    assert.equal(ident("timestamp"), '"timestamp"');
    assert.equal(ident('we"ird'), '"we""ird"');
    assert.equal(qualified("crypto_scout", "cmc_fgi"), '"crypto_scout"."cmc_fgi"');
    assert.equal(literal("it's"), "'it''s'");
    assert.equal(literal("back\\slash"), " E'back\\\\slash'");
    assert.ok(createHypertableSql('s"x', cmc).startsWith(`SELECT create_hypertable('"s""x"."cmc_fgi"', 'timestamp',`));
  });

  it("creates the seed's cmc_fgi table", () => {
    assert.equal(
      createTableSql("crypto_scout", cmc),
      [
        'CREATE TABLE IF NOT EXISTS "crypto_scout"."cmc_fgi" (',
        '  "id" BIGSERIAL NOT NULL,',
        '  "score" INTEGER NOT NULL,',
        '  "name" TEXT NOT NULL,',
        '  "timestamp" TIMESTAMPTZ NOT NULL,',
        '  "btc_price" NUMERIC(20,2) NOT NULL,',
        '  "btc_volume" NUMERIC(20,2) NOT NULL,',
        '  PRIMARY KEY ("id", "timestamp")',
        ")",
      ].join("\n"),
    );
  });

  it("renders the whole model: extension, schema, 4 x (table, indexes, hypertable, compression, 3 policies)", () => {
    const sql = modelSql("crypto_scout", CRYPTO_SCOUT_TABLES);
    assert.equal(sql[0], "CREATE EXTENSION IF NOT EXISTS timescaledb");
    assert.equal(sql[1], 'CREATE SCHEMA IF NOT EXISTS "crypto_scout"');
    assert.equal(sql.length, 2 + 4 * 7 + 1, "lpl has a second index");
    assert.ok(sql.includes(`SELECT create_hypertable('"crypto_scout"."bybit_lpl"', 'stake_begin_time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, create_default_indexes => FALSE)`));
    assert.ok(sql.includes(`ALTER TABLE "crypto_scout"."cmc_fgi" SET (timescaledb.compress, timescaledb.compress_segmentby = '"name"', timescaledb.compress_orderby = '"timestamp" DESC, "id" DESC')`));
    assert.ok(sql.includes(`CREATE INDEX IF NOT EXISTS "idx_bybit_lpl_return_coin" ON "crypto_scout"."bybit_lpl" ("return_coin")`));
  });

  it("writes each policy's add, alter and remove", () => {
    const [compression, retention, reorder] = tablePolicies(cmc);
    assert.equal(addPolicySql("s", "t", compression), `SELECT add_compression_policy('"s"."t"', compress_after => INTERVAL '7 days', if_not_exists => TRUE)`);
    assert.equal(addPolicySql("s", "t", retention), `SELECT add_retention_policy('"s"."t"', drop_after => INTERVAL '730 days', if_not_exists => TRUE)`);
    assert.equal(addPolicySql("s", "t", reorder), `SELECT add_reorder_policy('"s"."t"', 'idx_cmc_fgi_timestamp', if_not_exists => TRUE)`);
    assert.equal(
      alterPolicySql(1002, { kind: "retention", after: "90 day" }),
      `SELECT alter_job(j.job_id, config => jsonb_set(j.config, '{drop_after}', to_jsonb('90 days'::text))) FROM timescaledb_information.jobs j WHERE j.job_id = 1002`,
    );
    assert.equal(removePolicySql("s", "t", "reorder"), `SELECT remove_reorder_policy('"s"."t"', if_exists => TRUE)`);
    assert.throws(() => alterPolicySql(Number.NaN, retention));
  });

  it("parses TimescaleDB's compression column lists", () => {
    assert.deepEqual(parseCompressionColumns('"timestamp" DESC,id DESC'), [{ column: "timestamp", desc: true }, { column: "id", desc: true }]);
    assert.deepEqual(parseCompressionColumns("name"), [{ column: "name" }]);
    assert.deepEqual(parseCompressionColumns('"a,""b" ASC NULLS LAST, c'), [{ column: 'a,"b' }, { column: "c" }]);
    assert.deepEqual(parseCompressionColumns(""), []);
    assert.deepEqual(parseCompressionColumns(null), []);
  });
});

describe("database SQL: plans from live state", () => {
  it("a missing table gets the full DDL; a matching one gets nothing", () => {
    assert.equal(planTable("s", cmc, undefined).statements.length, 4);
    assert.deepEqual(planTable("s", cmc, liveOf(cmc)), { statements: [], refusals: [] });
    assert.deepEqual(planTable("s", lpl, liveOf(lpl)), { statements: [], refusals: [] });
  });

  it("additive changes are statements: new columns, new index, chunk interval, compression, relaxed NOT NULL, hypertable", () => {
    const changed: TableSpec = {
      ...cmc,
      chunkInterval: "12 hours",
      columns: [...cmc.columns.map((c) => (c.name === "btc_volume" ? { ...c, nullable: true } : c)), { name: "note", type: "TEXT", nullable: true }, { name: "v", type: "INTEGER", default: "0" }],
      indexes: [...cmc.indexes, { name: "idx_cmc_fgi_score", columns: [{ column: "score" }] }],
      compression: { segmentBy: [], orderBy: cmc.compression.orderBy },
    };
    const plan = planTable("s", changed, liveOf(cmc));
    assert.deepEqual(plan.refusals, []);
    assert.deepEqual(plan.statements, [
      `ALTER TABLE "s"."cmc_fgi" ALTER COLUMN "btc_volume" DROP NOT NULL`,
      `ALTER TABLE "s"."cmc_fgi" ADD COLUMN IF NOT EXISTS "note" TEXT`,
      `ALTER TABLE "s"."cmc_fgi" ADD COLUMN IF NOT EXISTS "v" INTEGER NOT NULL DEFAULT 0`,
      `SELECT set_chunk_time_interval('"s"."cmc_fgi"', INTERVAL '12 hours')`,
      `CREATE INDEX "idx_cmc_fgi_score" ON "s"."cmc_fgi" ("score")`,
      `ALTER TABLE "s"."cmc_fgi" SET (timescaledb.compress, timescaledb.compress_segmentby = '', timescaledb.compress_orderby = '"timestamp" DESC, "id" DESC')`,
    ]);
    const plain = { ...liveOf(cmc), hypertable: undefined, compression: undefined };
    assert.deepEqual(planTable("s", cmc, plain).statements.map((s) => s.split("(")[0]), ["SELECT create_hypertable", 'ALTER TABLE "s"."cmc_fgi" SET ']);
    assert.match(planTable("s", cmc, plain).statements[0], /migrate_data => TRUE/);
  });

  const refused: Array<[string, (t: TableSpec) => TableSpec, RegExp]> = [
    ["a dropped column", (t) => ({ ...t, columns: t.columns.filter((c) => c.name !== "btc_volume") }), /column btc_volume \(numeric\(20,2\)\) is in the database but not in the model; dropping or renaming a column is never done automatically\. .*DROP COLUMN "btc_volume"/],
    ["a renamed column", (t) => ({ ...t, columns: t.columns.map((c) => (c.name === "btc_volume" ? { ...c, name: "btc_vol", nullable: true } : c)) }), /If it was renamed to btc_vol, run ALTER TABLE "s"\."cmc_fgi" RENAME COLUMN "btc_volume" TO "btc_vol"/],
    ["a retyped column", (t) => ({ ...t, columns: t.columns.map((c) => (c.name === "score" ? { ...c, type: "BIGINT" } : c)) }), /column score is integer in the database but bigint in the model; .*ALTER COLUMN "score" TYPE BIGINT USING "score"::BIGINT .*decompress_chunk/],
    ["a stricter NOT NULL", (t) => t, /./],
    ["a new NOT NULL column without default", (t) => ({ ...t, columns: [...t.columns, { name: "x", type: "TEXT" }] }), /new column x is NOT NULL without a default/],
    ["another primary key", (t) => ({ ...t, primaryKey: ["timestamp"] }), /the primary key is \(id, timestamp\) in the database but \(timestamp\) in the model/],
    ["another time column", (t) => ({ ...t, timeColumn: "ts", columns: [...t.columns, { name: "ts", type: "TIMESTAMPTZ", default: "now()" }] }), /partitioned on timestamp in the database but on ts in the model/],
    ["a changed index definition", (t) => ({ ...t, indexes: [{ name: "idx_cmc_fgi_timestamp", columns: [{ column: "timestamp" }] }] }), /index idx_cmc_fgi_timestamp is on \("timestamp" DESC\) in the database but on \("timestamp"\) in the model; .*DROP INDEX "s"\."idx_cmc_fgi_timestamp"/],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses ${what}, applying nothing`, () => {
      const live = what === "a stricter NOT NULL"
        ? { ...liveOf(cmc), columns: liveOf(cmc).columns.map((c) => (c.name === "name" ? { ...c, notNull: false } : c)) }
        : liveOf(cmc);
      const plan = planTable("s", change(cmc), live);
      assert.equal(plan.statements.length, 0);
      assert.equal(plan.refusals.length, 1, plan.refusals.join("\n"));
      assert.match(plan.refusals.join("\n"), message);
      if (what === "a stricter NOT NULL") assert.match(plan.refusals[0], /column name allows NULL in the database but is NOT NULL in the model/);
    });
  }

  it("policies: add when missing, alter_job when the setting differs, nothing when equal", () => {
    const [compression, retention, reorder] = tablePolicies(cmc);
    assert.deepEqual(planPolicy("s", "cmc_fgi", compression, undefined), [addPolicySql("s", "cmc_fgi", compression)]);
    assert.deepEqual(planPolicy("s", "cmc_fgi", compression, { jobId: 7, afterSeconds: 7 * 86400 }), []);
    assert.deepEqual(planPolicy("s", "cmc_fgi", retention, { jobId: 8, afterSeconds: 180 * 86400 }), [alterPolicySql(8, retention)]);
    assert.deepEqual(planPolicy("s", "cmc_fgi", reorder, { jobId: 9, index: "idx_cmc_fgi_timestamp" }), []);
    assert.deepEqual(planPolicy("s", "cmc_fgi", reorder, { jobId: 9, index: "other" }), [alterPolicySql(9, reorder)]);
  });
});
