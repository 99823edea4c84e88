/**
 * The table model as data, its validation, and per-stack overrides of the windows: pure, no database.
 */
import { strict as assert } from "node:assert";
import {
  applyTableOverrides,
  canonicalType,
  CRYPTO_SCOUT_TABLES,
  hypertableSpec,
  parseInterval,
  sequenceNames,
  timeSeriesTable,
  validateModel,
  validateTableOverrides,
  windowProblem,
  type TableSpec,
} from "../../components/database/model";

const byName = (name: string) => CRYPTO_SCOUT_TABLES.find((t) => t.name === name) as TableSpec;

/** Asserts `fn` throws one line matching `pattern`. */
function throwsOneLine(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
    return true;
  });
}

describe("database model: the seed's tables as data", () => {
  it("has the four tables, each with id BIGSERIAL, a (id, time) key, 1-day chunks and compression after 7 days", () => {
    assert.deepEqual(
      CRYPTO_SCOUT_TABLES.map((t) => t.name),
      ["cmc_fgi", "bybit_spot_tickers_btc_usdt", "bybit_spot_tickers_eth_usdt", "bybit_lpl"],
    );
    for (const t of CRYPTO_SCOUT_TABLES) {
      assert.deepEqual(t.columns[0], { name: "id", type: "BIGSERIAL" });
      assert.deepEqual(t.primaryKey, ["id", t.timeColumn]);
      assert.equal(t.chunkInterval, "1 day");
      assert.equal(t.compressAfter, "7 days");
      assert.deepEqual(t.compression.orderBy, [{ column: t.timeColumn, desc: true }, { column: "id", desc: true }]);
      assert.equal(t.reorderIndex, `idx_${t.name}_${t.timeColumn}`);
      assert.deepEqual(t.indexes[0], { name: t.reorderIndex, columns: [{ column: t.timeColumn, desc: true }] });
      assert.deepEqual(sequenceNames(t), [`${t.name}_id_seq`]);
    }
    assert.doesNotThrow(() => validateModel(CRYPTO_SCOUT_TABLES));
    assert.ok(Object.isFrozen(CRYPTO_SCOUT_TABLES[0].columns[0]), "the model is frozen");
  });

  it("matches the seed's columns, time columns, segmentby and retention", () => {
    const cols = (t: TableSpec) => t.columns.map((c) => `${c.name} ${c.type}${c.nullable ? " null" : ""}`);
    assert.deepEqual(cols(byName("cmc_fgi")), ["id BIGSERIAL", "score INTEGER", "name TEXT", "timestamp TIMESTAMPTZ", "btc_price NUMERIC(20,2)", "btc_volume NUMERIC(20,2)"]);
    for (const ticker of ["bybit_spot_tickers_btc_usdt", "bybit_spot_tickers_eth_usdt"]) {
      assert.deepEqual(cols(byName(ticker)), [
        "id BIGSERIAL", "timestamp TIMESTAMPTZ", "cross_sequence BIGINT", "last_price NUMERIC(20,2)", "high_price_24h NUMERIC(20,2)",
        "low_price_24h NUMERIC(20,2)", "prev_price_24h NUMERIC(20,2)", "volume_24h NUMERIC(20,8)", "turnover_24h NUMERIC(20,4)",
        "price_24h_pcnt NUMERIC(10,4)", "usd_index_price NUMERIC(20,6) null",
      ]);
      assert.deepEqual(byName(ticker).compression.segmentBy, []);
      assert.equal(byName(ticker).retention, "180 days");
    }
    const lpl = byName("bybit_lpl");
    assert.deepEqual(cols(lpl), [
      "id BIGSERIAL", "return_coin TEXT", "return_coin_icon TEXT", "description TEXT", "website TEXT", "whitepaper TEXT", "rules TEXT",
      "stake_begin_time TIMESTAMPTZ", "stake_end_time TIMESTAMPTZ", "trade_begin_time TIMESTAMPTZ null",
    ]);
    assert.equal(lpl.timeColumn, "stake_begin_time");
    assert.deepEqual(lpl.indexes.map((i) => i.name), ["idx_bybit_lpl_stake_begin_time", "idx_bybit_lpl_return_coin"]);
    assert.deepEqual(lpl.compression.segmentBy, ["return_coin"]);
    assert.deepEqual(byName("cmc_fgi").compression.segmentBy, ["name"]);
    assert.equal(byName("cmc_fgi").retention, "730 days");
    assert.equal(lpl.retention, "730 days");
  });

  it("a fifth table is one entry", () => {
    const fifth = timeSeriesTable({
      name: "bybit_spot_tickers_sol_usdt",
      timeColumn: "timestamp",
      columns: byName("bybit_spot_tickers_btc_usdt").columns.slice(1),
      retention: "90 days",
    });
    assert.doesNotThrow(() => validateModel([...CRYPTO_SCOUT_TABLES, fifth]));
    assert.equal(applyTableOverrides("tables", { bybit_spot_tickers_sol_usdt: { retention: "30 days" } }, [...CRYPTO_SCOUT_TABLES, fifth])[4].retention, "30 days");
  });

  it("parses intervals and canonical types", () => {
    assert.deepEqual(parseInterval("90 days"), { text: "90 days", seconds: 90 * 86400 });
    assert.deepEqual(parseInterval("1 day"), { text: "1 day", seconds: 86400 });
    assert.deepEqual(parseInterval(" 12 Hours "), { text: "12 hours", seconds: 43200 });
    assert.deepEqual(parseInterval("2 week"), { text: "2 weeks", seconds: 1209600 });
    for (const bad of ["90", "90d", "0 days", "-1 day", "1 month", "1.5 days", "7 days; DROP TABLE x", 7, null]) {
      assert.equal(parseInterval(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(canonicalType("NUMERIC(20, 2)"), "numeric(20,2)");
    assert.equal(canonicalType("TIMESTAMPTZ"), "timestamp with time zone");
    assert.equal(canonicalType("BIGSERIAL"), "bigint");
    assert.equal(canonicalType("varchar(12)"), "character varying(12)");
    assert.equal(canonicalType("TEXT(5)"), undefined);
    assert.equal(canonicalType("money"), undefined);
  });
});

describe("database model: per-stack overrides", () => {
  it("applies chunk interval, compress-after and retention per table, canonicalised", () => {
    const tables = applyTableOverrides("tables", {
      cmc_fgi: { retention: "365 days" },
      bybit_spot_tickers_btc_usdt: { chunkInterval: "12 hours", compressAfter: "3 day", retention: "90 days" },
    });
    assert.equal(tables[0].retention, "365 days");
    assert.equal(tables[0].chunkInterval, "1 day");
    assert.deepEqual([tables[1].chunkInterval, tables[1].compressAfter, tables[1].retention], ["12 hours", "3 days", "90 days"]);
    assert.equal(tables[2].retention, "180 days", "other tables keep the model's windows");
    assert.equal(CRYPTO_SCOUT_TABLES[0].retention, "730 days", "the model itself is untouched");
    assert.deepEqual(applyTableOverrides("tables", undefined), CRYPTO_SCOUT_TABLES);
    assert.deepEqual(applyTableOverrides("tables", {}), CRYPTO_SCOUT_TABLES);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ["bad interval syntax", { cmc_fgi: { retention: "90 dayz" } }, /^Invalid config 'tables\.cmc_fgi\.retention': got "90 dayz"; expected an interval such as "90 days", "1 day", "12 hours"/],
    ["a number instead of an interval", { cmc_fgi: { retention: 90 } }, /^Invalid config 'tables\.cmc_fgi\.retention': got 90; expected an interval/],
    ["an unknown field", { cmc_fgi: { retentoin: "90 days" } }, /^Invalid config 'tables\.cmc_fgi\.retentoin': got "90 days"; expected one of the fields chunkInterval, compressAfter, retention/],
    ["an unknown table", { cmc_fgii: { retention: "90 days" } }, /^Invalid config 'tables\.cmc_fgii': .*expected a key naming one of the tables cmc_fgi, bybit_spot_tickers_btc_usdt/],
    ["a table that is not an object", { cmc_fgi: "90 days" }, /^Invalid config 'tables\.cmc_fgi': got "90 days"; expected an object/],
    ["not a map", "cmc_fgi=90 days", /^Invalid config 'tables': got "cmc_fgi=90 days"; expected a map of table name/],
    ["a list", [1], /^Invalid config 'tables': got \[1\]/],
    ["a month window", { bybit_lpl: { chunkInterval: "1 month" } }, /'tables\.bybit_lpl\.chunkInterval': got "1 month"/],
  ];
  for (const [what, raw, message] of bad) {
    it(`rejects ${what} with one line naming the key`, () => {
      throwsOneLine(() => validateTableOverrides("tables", raw), message);
      throwsOneLine(() => applyTableOverrides("tables", raw), message);
    });
  }
});

describe("database model: window combinations that drop rows early or never keep a chunk compressed", () => {
  const refused: Array<[string, unknown, RegExp]> = [
    [
      "a retention of one minute (the next job run would drop the history)",
      { bybit_spot_tickers_btc_usdt: { retention: "1 minute" } },
      /^Invalid config 'tables\.bybit_spot_tickers_btc_usdt\.retention': got "1 minute"; expected a retention of at least chunkInterval \(1 day\): TimescaleDB drops whole chunks/,
    ],
    [
      "a retention shorter than one chunk, with the chunk set too",
      { cmc_fgi: { chunkInterval: "2 weeks", retention: "10 days" } },
      /^Invalid config 'tables\.cmc_fgi\.retention': got "10 days"; expected a retention of at least chunkInterval \(2 weeks\)/,
    ],
    [
      "a chunk interval longer than the model's retention (only the chunk set: it is the key named)",
      { bybit_spot_tickers_eth_usdt: { chunkInterval: "200 days" } },
      /^Invalid config 'tables\.bybit_spot_tickers_eth_usdt\.chunkInterval': got "200 days"; expected a chunk interval no longer than retention \(180 days\)/,
    ],
    [
      "a retention shorter than compressAfter",
      { cmc_fgi: { retention: "3 days" } },
      /^Invalid config 'tables\.cmc_fgi\.retention': got "3 days"; expected a retention longer than compressAfter \(7 days\): otherwise every chunk is dropped before it is compressed/,
    ],
    [
      "a retention equal to compressAfter",
      { cmc_fgi: { retention: "1 week" } },
      /^Invalid config 'tables\.cmc_fgi\.retention': got "1 week"; expected a retention longer than compressAfter \(7 days\)/,
    ],
    [
      "a compressAfter beyond the model's retention (only compressAfter set: it is the key named)",
      { bybit_spot_tickers_btc_usdt: { compressAfter: "200 days" } },
      /^Invalid config 'tables\.bybit_spot_tickers_btc_usdt\.compressAfter': got "200 days"; expected a compressAfter shorter than retention \(180 days\)/,
    ],
    [
      "a retention less than one chunk past compressAfter",
      { bybit_lpl: { chunkInterval: "7 days", compressAfter: "7 days", retention: "10 days" } },
      /^Invalid config 'tables\.bybit_lpl\.retention': got "10 days"; expected a retention of at least compressAfter \(7 days\) plus chunkInterval \(7 days\)/,
    ],
  ];
  for (const [what, raw, message] of refused) {
    it(`refuses ${what}`, () => throwsOneLine(() => applyTableOverrides("tables", raw), message));
  }

  it("accepts the edges: retention of exactly compressAfter plus one chunk, and one chunk of retention without compression pressure", () => {
    const t = applyTableOverrides("tables", {
      bybit_lpl: { chunkInterval: "7 days", compressAfter: "7 days", retention: "14 days" },
      cmc_fgi: { chunkInterval: "1 hour", compressAfter: "1 hour", retention: "2 hours" },
    });
    assert.deepEqual([t[3].chunkInterval, t[3].compressAfter, t[3].retention], ["7 days", "7 days", "14 days"]);
    assert.equal(t[0].retention, "2 hours");
  });

  it("allowRetentionDrop names the one retention it allows: never true, never a leftover from another value", () => {
    throwsOneLine(() => applyTableOverrides("tables", { cmc_fgi: { retention: "30 days", allowRetentionDrop: true } }), /^Invalid config 'tables\.cmc_fgi\.allowRetentionDrop': got true; expected the retention it allows to drop existing chunks, the same interval as tables\.cmc_fgi\.retention/);
    throwsOneLine(() => applyTableOverrides("tables", { cmc_fgi: { retention: "60 days", allowRetentionDrop: "30 days" } }), /^Invalid config 'tables\.cmc_fgi\.allowRetentionDrop': got "30 days"; expected the retention being applied, 60 days \(tables\.cmc_fgi\.retention\)/);
    const [t] = applyTableOverrides("tables", { cmc_fgi: { retention: "30 days", allowRetentionDrop: "30 day" } });
    assert.equal(t.allowRetentionDrop, "30 days");
    assert.equal("allowRetentionDrop" in hypertableSpec(t), false, "the hypertable resource's inputs do not change");
  });

  it("holds for the model itself (validateModel names the model's field)", () => {
    throwsOneLine(() => validateModel([{ ...byName("cmc_fgi"), retention: "2 days" }]), /^Invalid table model 'cmc_fgi\.retention': got "2 days"; expected a retention longer than compressAfter/);
    for (const t of CRYPTO_SCOUT_TABLES) assert.equal(windowProblem(t), undefined, t.name);
  });
});

describe("database model: bad model input", () => {
  const base = byName("cmc_fgi");
  const cases: Array<[string, Partial<TableSpec>, RegExp]> = [
    ["an identifier with a quote", { name: 'cmc"fgi' }, /^Invalid table model 'tables\[\]\.name': got "cmc\\"fgi"; expected a lower-case SQL identifier/],
    ["an unknown type", { columns: [...base.columns, { name: "x", type: "MONEY" }] }, /'cmc_fgi\.columns\.x\.type': got "MONEY"; expected one of/],
    ["a time column that is not a column", { timeColumn: "ts" }, /'cmc_fgi\.timeColumn': got "ts"; expected one of the table's columns/],
    ["a time column that is not a time", { timeColumn: "score", primaryKey: ["id", "score"] }, /'cmc_fgi\.timeColumn': got "score INTEGER"; expected a TIMESTAMPTZ/],
    ["a key without the time column", { primaryKey: ["id"] }, /'cmc_fgi\.primaryKey': got \["id"\]; expected a key that includes the time column timestamp/],
    ["an index on a missing column", { indexes: [...base.indexes, { name: "idx_x", columns: [{ column: "nope" }] }] }, /'cmc_fgi\.indexes\.idx_x\.columns': got "nope"/],
    ["a reorder index that is not an index", { reorderIndex: "idx_nope" }, /'cmc_fgi\.reorderIndex': got "idx_nope"; expected one of the table's indexes/],
    ["a segmentby column that is missing", { compression: { segmentBy: ["nope"], orderBy: base.compression.orderBy } }, /'cmc_fgi\.compression\.segmentBy': got "nope"/],
    ["a bad retention", { retention: "forever" }, /'cmc_fgi\.retention': got "forever"; expected an interval/],
    ["a duplicate column", { columns: [...base.columns, { name: "score", type: "INTEGER" }] }, /'cmc_fgi\.columns\.score': got "score"; expected a column name used once/],
  ];
  for (const [what, change, message] of cases) {
    it(`rejects ${what}`, () => throwsOneLine(() => validateModel([{ ...base, ...change }]), message));
  }
  it("rejects two tables with the same name or index names", () => {
    throwsOneLine(() => validateModel([base, base]), /'cmc_fgi\.name': got "cmc_fgi"; expected a table name used once/);
    throwsOneLine(() => validateModel([base, { ...base, name: "other" }]), /'other\.indexes\.idx_cmc_fgi_timestamp'.*an index name used once in the schema/);
  });
});
