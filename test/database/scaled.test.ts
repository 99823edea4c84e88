/**
 * Scaled storage (issue #11, components/database/scaled.ts): the SQL as pure functions, then on TimescaleDB (embedded,
 * or TIMESCALE_URL). Every value written through the view is compared with what a real NUMERIC(p,s) table of the same
 * name (in a reference schema, created by `tableSql` as the program creates tables) stores or refuses for the same
 * input: rounding, precision errors, NULLs, NaN, the integer limits; through the INSERT rule and through the COPY
 * trigger; with bind parameters and with literals. Then the collector's statement shapes, its queries, roles, compressed
 * chunks, the model's policies on the physical table, and dropping.
 *
 * COPY ... FROM STDIN: PGlite (the embedded engine, or serve-timescale.ts behind TIMESCALE_URL) crashes on it (the
 * WebAssembly backend traps, "RuntimeError: unreachable", and the server process dies), so that test runs only on a
 * real server (TIMESCALE_URL); it was checked on PostgreSQL 15 without TimescaleDB, where COPY applies the view's id
 * default and the columns' typmods before the trigger runs. pg has no
 * COPY API of its own and pg-copy-streams is not a dependency: `copyFrom` below drives pg's protocol hooks directly.
 * The trigger COPY uses is still checked on the embedded engine: the INSERT rule is dropped inside a transaction that
 * is rolled back, so INSERTs go through the trigger instead.
 */
import { strict as assert } from "node:assert";
import type { Client } from "pg";
import { CRYPTO_SCOUT_TABLES, hypertableSpec, sequenceNames, timeSeriesTable, type TableSpec } from "../../components/database/model";
import { addPolicySql, ident, literal, qualified, tablePolicies, tableSql } from "../../components/database/sql";
import {
  createScaledStorageSql,
  dropScaledStorageSql,
  isScalable,
  numericTypmod,
  scaledColumns,
  scaledStorageNames,
  scaledStorageSpec,
  shiftDecimal,
  storageTableName,
} from "../../components/database/scaled";
import { inspectTable, planLiveTable } from "../../components/database/providers/live";
import { copyFrom } from "../support/copy";
import { COLLECTOR_COLUMNS, collectorInsertSql, compressOldChunks, freshName, grantSetRole, isPglite, freshSchema, policyJobs, trackRole, withDb } from "../support/timescale";

const byName = (name: string): TableSpec => CRYPTO_SCOUT_TABLES.find((t) => t.name === name)!;
const BTC = byName("bybit_spot_tickers_btc_usdt");
const ETH = byName("bybit_spot_tickers_eth_usdt");
const FGI = byName("cmc_fgi");

/** Columns the model does not use: NUMERIC(p <= 9) as INTEGER, scale 0, and p > 19. */
const PROBE = timeSeriesTable({
  name: "scaled_probe",
  timeColumn: "timestamp",
  columns: [
    { name: "timestamp", type: "TIMESTAMPTZ" },
    { name: "amount", type: "NUMERIC(9,4)" },
    { name: "units", type: "NUMERIC(5)" },
    { name: "wide", type: "NUMERIC(30,10)", nullable: true },
    { name: "note", type: "TEXT", nullable: true, default: "'-'" },
  ],
  retention: "30 days",
});

const TABLES = [BTC, ETH, FGI, PROBE];

describe("scaled storage: SQL", () => {
  it("names: <table>_scaled beside the view, the seed's sequence, functions that fit 63 characters", () => {
    assert.equal(storageTableName("bybit_spot_tickers_btc_usdt"), "bybit_spot_tickers_btc_usdt_scaled");
    const long = "t".repeat(55);
    const names = scaledStorageNames(long);
    for (const n of [names.table, names.scaleFunction, names.rejectFunction, names.insertFunction]) assert.ok(n.length <= 63, n);
    assert.throws(() => createScaledStorageSql("s", { ...hypertableSpec(FGI), name: "t".repeat(57) }), /at most 55 characters/);
    assert.throws(() => dropScaledStorageSql("S x", "cmc_fgi"), /plain identifiers/);
  });

  it("isScalable and numericTypmod: NUMERIC with a declared precision only", () => {
    assert.deepEqual(numericTypmod("NUMERIC(20,2)"), { precision: 20, scale: 2 });
    assert.deepEqual(numericTypmod("decimal( 10 )"), { precision: 10, scale: 0 });
    assert.equal(numericTypmod("NUMERIC"), undefined);
    assert.equal(isScalable({ name: "a", type: "NUMERIC(20, 8)" }), true);
    assert.equal(isScalable({ name: "a", type: "NUMERIC" }), false);
    assert.equal(isScalable({ name: "a", type: "BIGINT" }), false);
    assert.equal(isScalable({ name: "a", type: "TEXT" }), false);
  });

  it("scaledColumns: BIGINT for p >= 10, INTEGER for p <= 9, everything else unchanged, in the model's order", () => {
    assert.deepEqual(
      scaledColumns(BTC).map((c) => [c.name, c.type, c.scale ?? null, c.viewType, c.nullable]),
      [
        ["id", "BIGINT", null, "BIGINT", false],
        ["timestamp", "TIMESTAMPTZ", null, "TIMESTAMPTZ", false],
        ["cross_sequence", "BIGINT", null, "BIGINT", false],
        ["last_price", "BIGINT", 2, "NUMERIC(20,2)", false],
        ["high_price_24h", "BIGINT", 2, "NUMERIC(20,2)", false],
        ["low_price_24h", "BIGINT", 2, "NUMERIC(20,2)", false],
        ["prev_price_24h", "BIGINT", 2, "NUMERIC(20,2)", false],
        ["volume_24h", "BIGINT", 8, "NUMERIC(20,8)", false],
        ["turnover_24h", "BIGINT", 4, "NUMERIC(20,4)", false],
        ["price_24h_pcnt", "BIGINT", 4, "NUMERIC(10,4)", false],
        ["usd_index_price", "BIGINT", 6, "NUMERIC(20,6)", true],
      ],
    );
    assert.deepEqual(scaledColumns(FGI).map((c) => [c.name, c.type, c.scale ?? null]), [
      ["id", "BIGINT", null],
      ["score", "INTEGER", null],
      ["name", "TEXT", null],
      ["timestamp", "TIMESTAMPTZ", null],
      ["btc_price", "BIGINT", 2],
      ["btc_volume", "BIGINT", 2],
    ]);
    assert.deepEqual(scaledColumns(PROBE).filter((c) => c.scale !== undefined).map((c) => [c.name, c.type, c.scale]), [
      ["amount", "INTEGER", 4],
      ["units", "INTEGER", 0],
      ["wide", "BIGINT", 10],
    ]);
    assert.deepEqual(scaledColumns(BTC).flatMap((c) => (c.sequence ? [c.sequence] : [])), sequenceNames(BTC), "the seed's sequence names");
  });

  it("shiftDecimal: exact decimal text of the integer limits at a scale", () => {
    assert.equal(shiftDecimal("9223372036854775807", 2), "92233720368547758.07");
    assert.equal(shiftDecimal("-9223372036854775808", 8), "-92233720368.54775808");
    assert.equal(shiftDecimal("1", 6), "0.000001");
    assert.equal(shiftDecimal("-5", 3), "-0.005");
    assert.equal(shiftDecimal("42", 0), "42");
  });

  it("creates, in order, idempotent statements: sequence, table, indexes by the model's names, hypertable, compression, functions, view, rule", () => {
    const sql = createScaledStorageSql("crypto_scout", BTC);
    const physical = qualified("crypto_scout", "bybit_spot_tickers_btc_usdt_scaled");
    const view = qualified("crypto_scout", "bybit_spot_tickers_btc_usdt");
    const expectations: [RegExp, string][] = [
      [/^CREATE SEQUENCE IF NOT EXISTS "crypto_scout"."bybit_spot_tickers_btc_usdt_id_seq" AS BIGINT$/, "sequence"],
      [new RegExp(`^CREATE TABLE IF NOT EXISTS ${physical.replace(/[."]/g, "\\$&")} \\(\\n  "id" BIGINT NOT NULL DEFAULT nextval\\('"crypto_scout"."bybit_spot_tickers_btc_usdt_id_seq"'::regclass\\),`), "table"],
      [/^ALTER SEQUENCE .* OWNED BY "crypto_scout"."bybit_spot_tickers_btc_usdt_scaled"."id"$/, "owned by"],
      [/^CREATE INDEX IF NOT EXISTS "idx_bybit_spot_tickers_btc_usdt_timestamp" ON "crypto_scout"."bybit_spot_tickers_btc_usdt_scaled" \("timestamp" DESC\)$/, "index"],
      [/^SELECT create_hypertable\('"crypto_scout"."bybit_spot_tickers_btc_usdt_scaled"', 'timestamp', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE/, "hypertable"],
      [/^ALTER TABLE "crypto_scout"."bybit_spot_tickers_btc_usdt_scaled" SET \(timescaledb.compress, timescaledb.compress_segmentby = '', timescaledb.compress_orderby = '"timestamp" DESC, "id" DESC'\)$/, "compression"],
      [/^CREATE OR REPLACE FUNCTION "crypto_scout"."bybit_spot_tickers_btc_usdt_reject"\(/, "reject"],
      [/^CREATE OR REPLACE FUNCTION "crypto_scout"."bybit_spot_tickers_btc_usdt_scale"\(/, "scale"],
      [/^GRANT EXECUTE ON FUNCTION .* TO PUBLIC$/, "grant"],
      [/^CREATE OR REPLACE VIEW "crypto_scout"."bybit_spot_tickers_btc_usdt" AS SELECT\n {2}"id",\n {2}"timestamp",\n {2}"cross_sequence",\n {2}\("last_price" \* 0\.01\)::NUMERIC\(20,2\) AS "last_price",/, "view"],
      [/^ALTER VIEW .* ALTER COLUMN "id" SET DEFAULT nextval\('"crypto_scout"."bybit_spot_tickers_btc_usdt_id_seq"'::regclass\)$/, "view default"],
      [/^CREATE OR REPLACE FUNCTION "crypto_scout"."bybit_spot_tickers_btc_usdt_insert"\(\) RETURNS trigger\nLANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS/, "trigger function"],
      [/^REVOKE ALL ON FUNCTION .*_insert"\(\) FROM PUBLIC$/, "revoke"],
      [new RegExp(`^CREATE OR REPLACE TRIGGER "scaled_insert" INSTEAD OF INSERT ON ${view.replace(/[."]/g, "\\$&")} FOR EACH ROW`), "trigger"],
      [new RegExp(`^CREATE OR REPLACE RULE "scaled_insert" AS ON INSERT TO ${view.replace(/[."]/g, "\\$&")} DO INSTEAD\\n  INSERT INTO ${physical.replace(/[."]/g, "\\$&")} AS s`), "rule"],
    ];
    assert.equal(sql.length, expectations.length, sql.join("\n---\n"));
    expectations.forEach(([pattern, what], i) => assert.match(sql[i], pattern, what));
    // The view's columns are the model's, in its order; each value occurs once in the rule (NEW.<column> once).
    const viewSql = sql[9];
    const positions = BTC.columns.map((c) => viewSql.indexOf(`AS ${ident(c.name)}`) >= 0 ? viewSql.indexOf(`AS ${ident(c.name)}`) : viewSql.indexOf(`  ${ident(c.name)}`));
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, "view columns in model order");
    for (const c of BTC.columns) assert.equal(sql[14].split(`NEW.${ident(c.name)}`).length - 1, 1, `NEW.${c.name} once in the rule`);
    assert.match(sql[1], /"usd_index_price" BIGINT,\n/, "nullable stays nullable");
  });

  it("drops the view (with its rule and trigger), the functions, then the physical table", () => {
    assert.deepEqual(dropScaledStorageSql("s", "cmc_fgi"), [
      'DROP VIEW IF EXISTS "s"."cmc_fgi"',
      'DROP FUNCTION IF EXISTS "s"."cmc_fgi_insert"()',
      'DROP FUNCTION IF EXISTS "s"."cmc_fgi_scale"(numeric, numeric, numeric, numeric, text)',
      'DROP FUNCTION IF EXISTS "s"."cmc_fgi_reject"(text, numeric, numeric, numeric)',
      'DROP TABLE IF EXISTS "s"."cmc_fgi_scaled"',
    ]);
  });
});

type Outcome = { value: string | null } | { code: string; message: string; detail?: string };

interface Case {
  readonly column: string;
  readonly input: string | null;
  /** "same": exactly the reference table's value or error. "range": the reference stores it, scaled storage refuses it. */
  readonly expect: "same" | "range";
}

/** Inputs per column, with the value or error PostgreSQL's own NUMERIC(p,s) gives them in the reference table. */
const CASES: Record<string, Case[]> = {
  [BTC.name]: [
    ...[
      ["last_price", ["0", "-0", "0.005", "-0.005", "0.0049999", "0.015", "-0.015", "60000.125", "123.4", "1e-3", "92233720368547758.07", "-92233720368547758.08", "92233720368547758.074", "999999999999999999.995", "1e18", "Infinity", "abc", null]],
      ["volume_24h", ["0.000000005", "-0.000000005", "12345.678901234", "0.123456785", "92233720368.54775807", "-92233720368.54775808", "1e12"]],
      ["price_24h_pcnt", ["999999.9999", "-999999.9999", "0.00005", "-0.00005", "999999.99995", "1000000"]],
      ["usd_index_price", [null, "0.0000005", "-0.0000005", "9223372036854.775807", "-9223372036854.775808"]],
    ].flatMap(([column, inputs]) => (inputs as (string | null)[]).map((input): Case => ({ column: column as string, input, expect: "same" }))),
    ...[
      ["last_price", ["92233720368547758.08", "-92233720368547758.09", "92233720368547758.075", "999999999999999999.99", "-999999999999999999.99", "NaN"]],
      ["volume_24h", ["92233720368.54775808", "999999999999.99999999"]],
      ["price_24h_pcnt", ["NaN"]],
      ["usd_index_price", ["9223372036854.775808", "99999999999999.999999"]],
    ].flatMap(([column, inputs]) => (inputs as string[]).map((input): Case => ({ column: column as string, input, expect: "range" }))),
  ],
  [PROBE.name]: [
    ...["99999.9999", "-99999.9999", "0.00005", "-0.00005", "99999.99995", "100000", null].map((input): Case => ({ column: "amount", input, expect: "same" })),
    ...["99999", "-99999", "0.5", "-0.5", "1.49", "99999.5", "100000"].map((input): Case => ({ column: "units", input, expect: "same" })),
    ...[null, "922337203.6854775807", "-922337203.6854775808", "0.00000000005", "1e20"].map((input): Case => ({ column: "wide", input, expect: "same" })),
    ...["922337203.6854775808", "99999999999999999999.9999999999", "NaN"].map((input): Case => ({ column: "wide", input, expect: "range" })),
    { column: "amount", input: "NaN", expect: "range" },
  ],
};

/** A full row for the table; `column` set to `input`. */
const BASE_ROWS: Record<string, Record<string, string | null>> = {
  [BTC.name]: {
    timestamp: "2024-03-01T00:00:00Z",
    cross_sequence: "1",
    last_price: "60000.12",
    high_price_24h: "61000.50",
    low_price_24h: "59000.25",
    prev_price_24h: "59500.00",
    volume_24h: "1234.12345678",
    turnover_24h: "98765.4321",
    price_24h_pcnt: "0.0123",
    usd_index_price: "60000.123456",
  },
  [PROBE.name]: { timestamp: "2024-03-01T00:00:00Z", amount: "1.5", units: "7", wide: "1.25" },
};

/** Chunk names differ between two hypertables; everything else of an error must not. */
function normalized(e: { code?: string; message: string; detail?: string }): Outcome {
  const message = e.message.replace(/of relation "_hyper_\d+_\d+_chunk"/, 'of relation "<chunk>"');
  // A NOT NULL error's detail lists the failing row as stored (integers in scaled storage): compare the rest.
  return e.code === "23502" ? { code: e.code, message } : { code: e.code ?? "?", message, detail: e.detail };
}

/** Inserts one row with `column` = `input` (a bind parameter, or a literal in the statement) inside a savepoint. */
async function attempt(c: Client, schema: string, table: string, column: string, input: string | null, mode: "param" | "literal"): Promise<Outcome> {
  const row = { ...BASE_ROWS[table], [column]: input };
  const columns = Object.keys(row);
  const values = columns.map((k) => row[k]);
  const placeholders =
    mode === "param"
      ? columns.map((_, i) => `$${i + 1}`)
      : values.map((v) => (v === null ? "NULL" : /^-?[\d.]+(e-?\d+)?$/i.test(v) ? v : literal(v)));
  const sql = `INSERT INTO ${qualified(schema, table)} (${columns.map(ident).join(", ")}) VALUES (${placeholders.join(", ")}) RETURNING id, ${ident(column)}::text AS v`;
  await c.query("SAVEPOINT attempt");
  try {
    const res = await c.query(sql, mode === "param" ? values : []);
    const [{ id, v }] = res.rows;
    const [back] = (await c.query(`SELECT ${ident(column)}::text AS v FROM ${qualified(schema, table)} WHERE id = $1`, [id])).rows;
    assert.equal(back.v, v, `${schema}.${table}.${column} = ${input}: RETURNING and SELECT agree`);
    await c.query("RELEASE SAVEPOINT attempt");
    return { value: v };
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    await c.query("ROLLBACK TO SAVEPOINT attempt");
    return normalized(e as { code?: string; message: string; detail?: string });
  }
}

/** The outcome for every case, in a transaction that is rolled back (so the tables stay as they were). */
async function outcomes(c: Client, schema: string, table: string, mode: "param" | "literal", before?: string): Promise<Outcome[]> {
  await c.query("BEGIN");
  try {
    if (before) await c.query(before);
    const out: Outcome[] = [];
    for (const k of CASES[table]) out.push(await attempt(c, schema, table, k.column, k.input, mode));
    return out;
  } finally {
    await c.query("ROLLBACK");
  }
}

/** Rows of `schema.table` without ids (the two schemas' sequences need not agree), as text, in a stable order. */
async function contents(c: Client, schema: string, t: TableSpec): Promise<string[]> {
  const columns = t.columns.filter((col) => col.name !== "id").map((col) => ident(col.name));
  const res = await c.query(`SELECT concat_ws('|', ${columns.join(", ")}) AS r FROM ${qualified(schema, t.name)} ORDER BY 1`);
  return res.rows.map((r) => r.r);
}

describe("scaled storage on TimescaleDB", function () {
  this.timeout(60_000);
  const schema = freshSchema("scaled");
  const reference = freshSchema("scaledref");
  /** PGlite (embedded, or serve-timescale.ts behind TIMESCALE_URL) dies on COPY FROM STDIN. */
  let pglite = true;
  let started = 0;

  before(async () => {
    started = Date.now();
    pglite = await isPglite();
    await withDb(async (c) => {
      await c.query(`CREATE SCHEMA ${ident(schema)}`);
      await c.query(`CREATE SCHEMA ${ident(reference)}`);
      for (const t of TABLES) {
        for (const s of tableSql(reference, hypertableSpec(t))) await c.query(s);
        // Twice: every statement is idempotent.
        for (let run = 0; run < 2; run++) for (const s of createScaledStorageSql(schema, hypertableSpec(t))) await c.query(s);
      }
    });
  });

  /** Runs the statement for both schemas in one transaction, so now() (the collector SQL's times) is the same. */
  async function sameRows(c: Client, sql: (schema: string) => string): Promise<void> {
    await c.query("BEGIN");
    try {
      for (const s of [schema, reference]) await c.query(sql(s));
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK");
      throw e;
    }
  }

  after(() => console.log(`      (scaled storage engine tests: ${Date.now() - started} ms)`));

  it("the physical table is the model's hypertable (key, 1-day chunks, index names, compression); nothing to change after a second run", async () => {
    await withDb(async (c) => {
      for (const t of TABLES) {
        assert.deepEqual(await planLiveTable(c, schema, scaledStorageSpec(schema, t)), { statements: [], refusals: [] }, t.name);
        const live = await inspectTable(c, schema, storageTableName(t.name));
        assert.equal(live?.relkind, "r");
        assert.deepEqual(live?.primaryKey, ["id", "timestamp"]);
        assert.deepEqual(live?.indexes.filter((i) => !i.primary).map((i) => i.name), t.indexes.map((i) => i.name));
        const counts = (
          await c.query(
            `SELECT (SELECT count(*) FROM pg_rewrite r WHERE r.ev_class = $1::regclass AND r.rulename = 'scaled_insert')::int AS rules,
                    (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = $1::regclass AND NOT g.tgisinternal)::int AS triggers,
                    (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = $2::regnamespace AND p.proname LIKE $3)::int AS functions`,
            [qualified(schema, t.name), ident(schema), `${t.name}\\_%`],
          )
        ).rows[0];
        assert.deepEqual(counts, { rules: 1, triggers: 1, functions: 3 }, t.name);
        const owned = await c.query(
          `SELECT d.refobjid = $2::regclass AS by_physical, a.attname FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE d.classid = 'pg_class'::regclass AND d.objid = $1::regclass AND d.deptype = 'a'`,
          [qualified(schema, `${t.name}_id_seq`), qualified(schema, storageTableName(t.name))],
        );
        assert.deepEqual(owned.rows, [{ by_physical: true, attname: "id" }], "the seed's sequence, owned by the physical id");
      }
    });
  });

  it("the view has the seed's table name, columns, order and NUMERIC(p,s) types", async () => {
    await withDb(async (c) => {
      for (const t of TABLES) {
        const view = await inspectTable(c, schema, t.name);
        const table = await inspectTable(c, reference, t.name);
        assert.equal(view?.relkind, "v");
        assert.deepEqual(view?.columns.map((col) => [col.name, col.type]), table?.columns.map((col) => [col.name, col.type]), t.name);
        const info = `SELECT column_name, data_type, numeric_precision, numeric_scale, ordinal_position FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`;
        assert.deepEqual((await c.query(info, [schema, t.name])).rows, (await c.query(info, [reference, t.name])).rows, `${t.name}: information_schema`);
      }
    });
  });

  for (const mode of ["param", "literal"] as const) {
    it(`writes exactly what NUMERIC(p,s) stores, or refuses as it does; out-of-integer-range and NaN refused clearly (${mode === "param" ? "bind parameters" : "literals"})`, async () => {
      await withDb(async (c) => {
        for (const table of [BTC.name, PROBE.name]) {
          const expected = await outcomes(c, reference, table, mode);
          const actual = await outcomes(c, schema, table, mode);
          CASES[table].forEach((k, i) => {
            const what = `${table}.${k.column} = ${k.input} (${mode})`;
            if (k.expect === "same") {
              assert.deepEqual(actual[i], expected[i], what);
            } else {
              assert.ok("value" in expected[i], `${what}: the reference table stores it (${JSON.stringify(expected[i])})`);
              assert.equal((actual[i] as { code: string }).code, "22003", `${what}: ${JSON.stringify(actual[i])}`);
              assert.match((actual[i] as { message: string }).message, new RegExp(`^value \\S+ of column ${k.column} of ${schema}\\.${table} is out of range for its scaled storage$`), what);
            }
          });
          // The cases cover rounding both ways, both kinds of precision error, and NULLs.
          const values = expected.flatMap((o) => ("value" in o ? [o.value] : []));
          if (table === BTC.name) {
            assert.ok(values.includes("0.01") && values.includes("-0.01"), "0.005 -> 0.01, -0.005 -> -0.01 (half away from zero)");
            assert.ok(values.includes("92233720368547758.07") && values.includes("-92233720368547758.08"), "the BIGINT limits round-trip");
            assert.ok(values.includes(null), "NULL in the nullable usd_index_price");
            const errors = expected.flatMap((o) => ("code" in o ? [o.code] : []));
            assert.deepEqual([...new Set(errors)].sort(), ["22003", "22P02", "23502"], "overflow, bad input, NOT NULL");
          }
        }
      });
    });
  }

  it("the COPY trigger writes and refuses exactly as the INSERT rule does (rule dropped in a rolled-back transaction)", async () => {
    await withDb(async (c) => {
      for (const table of [BTC.name, PROBE.name]) {
        const viaRule = await outcomes(c, schema, table, "param");
        const viaTrigger = await outcomes(c, schema, table, "param", `DROP RULE scaled_insert ON ${qualified(schema, table)}`);
        assert.deepEqual(viaTrigger, viaRule, table);
      }
      const [rule] = (await c.query(`SELECT count(*)::int AS n FROM pg_rewrite WHERE ev_class = $1::regclass AND rulename = 'scaled_insert'`, [qualified(schema, BTC.name)])).rows;
      assert.equal(rule.n, 1, "the rule is back after the rollback");
    });
  });

  it("takes the collector's statements: INSERT ... SELECT, multi-row and single-row VALUES, RETURNING, the id default", async () => {
    await withDb(async (c) => {
      for (const t of [BTC, ETH, FGI]) {
        await sameRows(c, (s) => collectorInsertSql(s, t.name, 30, 3));
        assert.deepEqual(await contents(c, schema, t), await contents(c, reference, t), `${t.name}: same rows`);
      }
      const columns = COLLECTOR_COLUMNS[BTC.name];
      const row = (i: number) => [`2024-03-02T00:00:0${i}Z`, String(100 + i), "60000.125", "61000.5", "59000.25", "59500", "1234.123456785", "98765.43215", "-0.01235", i % 2 ? null : "60000.1234565"];
      const multi = (s: string) =>
        `INSERT INTO ${qualified(s, BTC.name)} (${columns.map(ident).join(", ")}) VALUES ${[0, 1, 2].map((r) => `(${columns.map((_, k) => `$${r * columns.length + k + 1}`).join(", ")})`).join(", ")}`;
      const single = (s: string) => `INSERT INTO ${qualified(s, BTC.name)} (${columns.map(ident).join(", ")}) VALUES (${columns.map((_, k) => `$${k + 1}`).join(", ")}) RETURNING *`;
      // The reference table takes the same rows, so the later tests compare whole tables.
      await c.query(multi(reference), [0, 1, 2].flatMap(row));
      await c.query(`${multi(reference)} RETURNING id`, [3, 4, 5].flatMap(row));
      const [expected] = (await c.query(single(reference), row(6))).rows;
      const inserted = await c.query(multi(schema), [0, 1, 2].flatMap(row));
      assert.equal(inserted.rowCount, 3, "the command tag counts the rows");
      const returned = await c.query(`${multi(schema)} RETURNING id`, [3, 4, 5].flatMap(row));
      const ids = returned.rows.map((r) => Number(r.id));
      assert.deepEqual(ids, [ids[0], ids[0] + 1, ids[0] + 2], "ids from the sequence, in order");
      const [seq] = (await c.query(`SELECT last_value::int8 AS v FROM ${qualified(schema, `${BTC.name}_id_seq`)}`)).rows;
      assert.equal(Number(seq.v), ids[2], "the seed's sequence gave them");
      const [one] = (await c.query(single(schema), row(6))).rows;
      assert.deepEqual({ ...one, id: undefined }, { ...expected, id: undefined }, "RETURNING * as the NUMERIC table returns it");
      assert.deepEqual(
        [one.last_price, one.volume_24h, one.turnover_24h, one.price_24h_pcnt, one.usd_index_price],
        ["60000.13", "1234.12345679", "98765.4322", "-0.0124", "60000.123457"],
        "rounded half away from zero",
      );
      const [back] = (await c.query(`SELECT * FROM ${qualified(schema, BTC.name)} WHERE id = $1`, [one.id])).rows;
      assert.deepEqual(back, one, "RETURNING * is what a SELECT reads");
      assert.deepEqual(await contents(c, schema, BTC), await contents(c, reference, BTC), "same rows");
      // Limitation: a view with an INSERT rule takes no ON CONFLICT (the collector does not use it).
      await assert.rejects(c.query(`${single(schema).replace(" RETURNING *", "")} ON CONFLICT DO NOTHING`, row(7)), /ON CONFLICT/);
    });
  });

  it("COPY ... FROM STDIN into the view: ids from the view's default, values rounded as NUMERIC(p,s) does", async function () {
    if (pglite) {
      console.log("      SKIPPED (not run, not passed) here: COPY FROM STDIN crashes PGlite (the embedded engine); scaled-copy.test.ts runs it on PostgreSQL 15, TIMESCALE_URL runs it here");
      this.skip();
    }
    await withDb(async (c) => {
      const columns = COLLECTOR_COLUMNS[BTC.name];
      const copy = (s: string) => `COPY ${qualified(s, BTC.name)} (${columns.map(ident).join(", ")}) FROM STDIN`;
      const data = "2024-03-03 00:00:00+00\t1\t60000.125\t61000.5\t59000.25\t59500\t1.000000005\t2.00005\t0.00005\t\\N\n2024-03-03 00:00:01+00\t2\t-0.005\t1\t1\t1\t1\t1\t-0.00005\t60000.0000005\n";
      for (const s of [schema, reference]) assert.equal(await copyFrom(c, copy(s), data), 2, s);
      const read = (s: string) => c.query(`SELECT id IS NOT NULL AS has_id, ${columns.slice(1).map(ident).join(", ")} FROM ${qualified(s, BTC.name)} WHERE "timestamp" >= '2024-03-03' AND "timestamp" < '2024-03-04' ORDER BY "timestamp"`);
      const rows = (await read(schema)).rows;
      assert.deepEqual(rows, (await read(reference)).rows);
      assert.deepEqual(rows.map((r) => [r.has_id, r.last_price, r.volume_24h, r.price_24h_pcnt]), [
        [true, "60000.13", "1.00000001", "0.0001"],
        [true, "-0.01", "1.00000000", "-0.0001"],
      ]);
      await assert.rejects(copyFrom(c, copy(schema), "2024-03-03 00:00:02+00\t3\t92233720368547758.08\t1\t1\t1\t1\t1\t0\t\\N\n"), /out of range for its scaled storage/);
    });
  });

  it("answers the analysts' queries as the NUMERIC table does: time_bucket, first, last, max, min", async () => {
    await withDb(async (c) => {
      const ohlc = (s: string) =>
        `SELECT time_bucket('1 minute', "timestamp") AS bucket, first(last_price, "timestamp") AS open, max(last_price) AS high, min(last_price) AS low, ` +
        `last(last_price, "timestamp") AS close, sum(volume_24h) AS volume, avg(usd_index_price) AS idx, max(high_price_24h) AS h24 ` +
        `FROM ${qualified(s, BTC.name)} GROUP BY 1 ORDER BY 1`;
      const rows = (await c.query(ohlc(schema))).rows;
      assert.ok(rows.length >= 10);
      assert.deepEqual(rows, (await c.query(ohlc(reference))).rows);
      const latest = (s: string) => `SELECT "timestamp", last_price FROM ${qualified(s, BTC.name)} ORDER BY "timestamp" DESC LIMIT 3`;
      assert.deepEqual((await c.query(latest(schema))).rows, (await c.query(latest(reference))).rows);
      // Usable, whatever the statistics make cheapest for these few rows: with scans and sorts discouraged, the plan
      // takes the index in order only if the view lets the ORDER BY reach it.
      await c.query("BEGIN");
      try {
        await c.query("SET LOCAL enable_seqscan = off");
        await c.query("SET LOCAL enable_sort = off");
        const plan = (await c.query(`EXPLAIN ${latest(schema)}`)).rows.map((r) => r["QUERY PLAN"]).join("\n");
        // A chunk's copy of the index is named `_hyper_<id>_<id>_chunk_<index>`, cut at 63 bytes: on a server that has
        // made a thousand hypertables it ends in "..._btc_usdt_timestam".
        assert.match(plan, /Index Scan (Backward )?using \S*idx_bybit_spot_tickers_btc_usdt_ti/, `the view keeps the time index usable for ORDER BY ... LIMIT:\n${plan}`);
        assert.doesNotMatch(plan, /Sort/, "the index gives the order: the view did not hide the ORDER BY from it");
      } finally {
        await c.query("ROLLBACK");
      }
    });
  });

  it("roles: a writer inserts through the view with INSERT on it and USAGE on the sequence, never a right on the physical table; a reader selects", async () => {
    const writer = trackRole(freshName("scaled_writer"));
    const reader = trackRole(freshName("scaled_reader"));
    const view = qualified(schema, BTC.name);
    const physical = qualified(schema, storageTableName(BTC.name));
    const insert = collectorInsertSql(schema, BTC.name, 3, 1);
    await withDb(async (c) => {
      const asRole = async <T>(role: string, fn: () => Promise<T>, before?: string): Promise<T> => {
        await c.query("BEGIN");
        try {
          if (before) await c.query(before);
          await c.query(`SET LOCAL ROLE ${ident(role)}`);
          return await fn();
        } finally {
          await c.query("ROLLBACK");
        }
      };
      for (const role of [writer, reader]) {
        await c.query(`CREATE ROLE ${ident(role)} NOLOGIN`);
        await c.query(`GRANT USAGE ON SCHEMA ${ident(schema)} TO ${ident(role)}`);
        // The connecting role created them, so it may become them.
        await grantSetRole(c, role);
      }
      await c.query(`GRANT INSERT ON ${view} TO ${ident(writer)}`);
      await c.query(`GRANT USAGE, SELECT ON SEQUENCE ${sequenceNames(BTC).map((s) => qualified(schema, s)).join(", ")} TO ${ident(writer)}`);
      await c.query(`GRANT SELECT ON ${view} TO ${ident(reader)}`);
      try {
        assert.equal(await asRole(writer, async () => (await c.query(insert)).rowCount), 3, "writer inserts (rule)");
        assert.equal(await asRole(writer, async () => (await c.query(insert)).rowCount, `DROP RULE scaled_insert ON ${view}`), 3, "writer inserts (trigger, as COPY does)");
        await assert.rejects(asRole(writer, () => c.query(`${insert} RETURNING id`)), { code: "42501" }, "RETURNING needs SELECT on the view");
        for (const sql of [`SELECT * FROM ${physical}`, `INSERT INTO ${physical} SELECT * FROM ${physical} LIMIT 0`, `DELETE FROM ${physical}`]) {
          await assert.rejects(asRole(writer, () => c.query(sql)), { code: "42501" }, `writer: ${sql}`);
          await assert.rejects(asRole(reader, () => c.query(sql)), { code: "42501" }, `reader: ${sql}`);
        }
        await assert.rejects(asRole(reader, () => c.query(insert)), { code: "42501" }, "reader cannot insert");
        const n = await asRole(reader, async () => Number((await c.query(`SELECT count(*) AS n FROM ${view} WHERE last_price > 0`)).rows[0].n));
        assert.ok(n > 0, "reader selects through the view");
        await c.query(`GRANT SELECT ON ${view} TO ${ident(writer)}`);
        const ids = await asRole(writer, async () => (await c.query(`${insert} RETURNING id`)).rows.length);
        assert.equal(ids, 3, "with SELECT on the view, RETURNING id works");
      } finally {
        for (const role of [writer, reader]) await c.query(`REVOKE ${ident(role)} FROM CURRENT_USER`);
      }
    });
  });

  it("compressed chunks read back exactly; the model's three policies attach to the physical table", async () => {
    await withDb((c) => sameRows(c, (s) => collectorInsertSql(s, BTC.name, 40, 12)));
    const compressed = await compressOldChunks(schema, storageTableName(BTC.name));
    assert.ok(compressed >= 3, `compressed ${compressed} chunks`);
    await compressOldChunks(reference, BTC.name);
    await withDb(async (c) => {
      assert.deepEqual(await contents(c, schema, BTC), await contents(c, reference, BTC), "same rows, compressed");
      const sums = (s: string) => c.query(`SELECT sum(last_price) AS p, sum(volume_24h) AS v, sum(usd_index_price) AS u, count(usd_index_price) AS n FROM ${qualified(s, BTC.name)}`);
      assert.deepEqual((await sums(schema)).rows, (await sums(reference)).rows);
      const [stats] = (await c.query(`SELECT count(*)::int AS n FROM chunk_compression_stats($1) WHERE compression_status = 'Compressed'`, [qualified(schema, storageTableName(BTC.name))])).rows;
      assert.equal(stats.n, compressed);
      for (let run = 0; run < 2; run++) for (const p of tablePolicies(BTC)) await c.query(addPolicySql(schema, storageTableName(BTC.name), p));
    });
    const jobs = await policyJobs(schema);
    const physical = storageTableName(BTC.name);
    assert.deepEqual(
      Object.fromEntries(Object.entries(jobs).map(([k, v]) => [k, v.setting])),
      { [`${physical}/compression`]: "7 days", [`${physical}/retention`]: "180 days", [`${physical}/reorder`]: "idx_bybit_spot_tickers_btc_usdt_timestamp" },
    );
  });

  it("drops everything of a scaled table, twice without error; refuses to drop a NUMERIC table of that name", async () => {
    await withDb(async (c) => {
      for (let run = 0; run < 2; run++) for (const s of dropScaledStorageSql(schema, FGI.name)) await c.query(s);
      const left = await c.query(`SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relname LIKE 'cmc\\_fgi%'`, [ident(schema)]);
      assert.deepEqual(left.rows, [], "view, table, sequence and indexes gone");
      const fns = await c.query(`SELECT proname FROM pg_proc WHERE pronamespace = $1::regnamespace AND proname LIKE 'cmc\\_fgi%'`, [ident(schema)]);
      assert.deepEqual(fns.rows, [], "functions gone");
      await assert.rejects(c.query(dropScaledStorageSql(reference, FGI.name)[0]), /is not a view/);
      const [kept] = (await c.query(`SELECT count(*)::int AS n FROM ${qualified(reference, FGI.name)}`)).rows;
      assert.ok(kept.n > 0, "the NUMERIC table and its rows are still there");
    });
  });
});
