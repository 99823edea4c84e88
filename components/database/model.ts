/**
 * The crypto_scout schema as data: one `TableSpec` per hypertable (columns, key, time column, chunk interval, indexes,
 * compression, policy windows). The SQL in `sql.ts`, the dynamic providers, the `DatabaseStage` component and the
 * `schema` CLI all read this model; adding a fifth table is adding one entry to `CRYPTO_SCOUT_TABLES`.
 *
 * Per-stack config may override the windows of a table (`tables.<table>.chunkInterval|compressAfter|retention`);
 * `validateTableOverrides` checks such config and `applyTableOverrides` returns the model with it applied.
 */
import { ConfigError } from "../config/units";
import type { Rule } from "../args";
import { deepFreeze } from "../deep-freeze";

/** A column. Every column is NOT NULL unless `nullable`. */
export interface ColumnSpec {
  readonly name: string;
  /** A PostgreSQL type from `KNOWN_TYPES`, e.g. `TIMESTAMPTZ`, `NUMERIC(20,2)`, `BIGSERIAL`. */
  readonly type: string;
  /** @default false */
  readonly nullable?: boolean;
  /** A default expression (SQL), e.g. `now()` or `0`. Needed to add a NOT NULL column to an existing table. */
  readonly default?: string;
}

/** One key of an index, in order. */
export interface IndexKeySpec {
  readonly column: string;
  /** @default false */
  readonly desc?: boolean;
}

export interface IndexSpec {
  /** Index names are unique per schema in PostgreSQL; the convention is `idx_<table>_<columns>`. */
  readonly name: string;
  readonly columns: readonly IndexKeySpec[];
  /** @default false */
  readonly unique?: boolean;
}

export interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  /** Must include the time column (TimescaleDB requires it of every unique index). */
  readonly primaryKey: readonly string[];
  /** The hypertable's time dimension: a NOT NULL TIMESTAMPTZ column. */
  readonly timeColumn: string;
  /** Interval syntax, see `INTERVAL_SYNTAX`. */
  readonly chunkInterval: string;
  readonly indexes: readonly IndexSpec[];
  readonly compression: {
    readonly segmentBy: readonly string[];
    readonly orderBy: readonly IndexKeySpec[];
  };
  /** Compression policy: compress chunks older than this. */
  readonly compressAfter: string;
  /** Retention policy: drop chunks older than this. */
  readonly retention: string;
  /** Reorder policy: the index (one of `indexes`) chunks are clustered on. */
  readonly reorderIndex: string;
  /**
   * How the NUMERIC(p,s) columns are stored (issue 11). `numeric`: as the seed, NUMERIC columns in the table.
   * `scaled`: integers holding value × 10^s in a hypertable `<table>_scaled`, behind a view named as the table with
   * the seed's columns and types (components/database/scaled.ts): the same rows in under half the space.
   * @default "numeric"
   */
  readonly storage?: TableStorage;
  /**
   * Opt-in for a retention change that drops chunks which exist now: the retention it allows, the same interval as
   * `retention`. Bound to that one value, so it is never a standing permission: a later change of `retention` is
   * refused again (and this field must then name the new value, or go). The policy provider refuses such a change
   * at preview without it (providers/live.ts `retentionDrop`).
   * @example "30 days"
   */
  readonly allowRetentionDrop?: string;
  /**
   * OHLC candles of `last_price` per interval: continuous aggregates `<table>_candles_1m|_1h|_1d`
   * (components/database/candles.ts, docs/candles.md). An object: every interval it does not set to `false` is built,
   * with the settings it gives and the defaults for the rest. `false` or absent: no candles.
   * @default undefined (the ticker tables: `{}`, all three intervals with their defaults)
   * @example { "1m": { retention: "365 days" }, "1d": false }
   */
  readonly candles?: CandlesConfig | false;
}

/** The candle intervals, finest first: each is built on the finest configured one below it (or on the table). */
export const CANDLE_INTERVALS = ["1m", "1h", "1d"] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

/** The settings of one candle interval a stack may give (`tables.<table>.candles.<interval>`). */
export interface CandleSettings {
  /** How far back each refresh looks (the refresh policy's start_offset), interval syntax. */
  readonly refreshWindow?: string;
  /** How often the refresh policy runs (its schedule_interval), interval syntax. */
  readonly refreshEvery?: string;
  /** Drop candles older than this (a retention policy on the aggregate), interval syntax, or `forever`. */
  readonly retention?: string;
}

/** Per interval: its settings, or `false` for none. */
export type CandlesConfig = Readonly<Partial<Record<CandleInterval, CandleSettings | false>>>;

export const CANDLE_FIELDS = ["refreshWindow", "refreshEvery", "retention"] as const;

/** The storage choices of a table (`tables.<table>.storage`). */
export const TABLE_STORAGES = ["numeric", "scaled"] as const;
export type TableStorage = (typeof TABLE_STORAGES)[number];

/** What the hypertable resource manages: the table without its policies (each policy is its own resource). */
export type HypertableSpec = Omit<TableSpec, "compressAfter" | "retention" | "reorderIndex" | "allowRetentionDrop" | "candles">;

/**
 * The table without its policy settings, so a changed window updates only that policy's resource. `storage` is kept
 * only when scaled: a numeric table's inputs stay as they were before storage existed (no diff for existing stacks).
 */
export function hypertableSpec(t: TableSpec): HypertableSpec {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { compressAfter, retention, reorderIndex, storage, allowRetentionDrop, candles, ...rest } = t;
  return storage === "scaled" ? { ...rest, storage } : rest;
}

/** The windows, and the storage, a stack may override per table. */
export interface TableOverride {
  readonly chunkInterval?: string;
  readonly compressAfter?: string;
  readonly retention?: string;
  readonly storage?: TableStorage;
  readonly allowRetentionDrop?: string;
  readonly candles?: CandlesConfig | false;
}
export type TableOverrides = Readonly<Record<string, TableOverride>>;

export const OVERRIDE_FIELDS = ["chunkInterval", "compressAfter", "retention", "storage", "allowRetentionDrop", "candles"] as const;

export const INTERVAL_SYNTAX = 'an interval such as "90 days", "1 day", "12 hours" or "2 weeks" (a whole number and one of minutes, hours, days, weeks)';

const INTERVAL_UNITS: Record<string, number> = { minute: 60, hour: 3600, day: 86400, week: 604800 };

/** A parsed interval: its canonical text (`"12 hours"`) and its length in seconds. */
export interface Interval {
  readonly text: string;
  readonly seconds: number;
}

/** Parses `"90 days"`, `"1 day"`, `"12 hours"`; undefined when the text is not that syntax. */
export function parseInterval(value: unknown): Interval | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d{1,6})\s*(minute|hour|day|week)s?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  if (n <= 0) return undefined;
  return { text: `${n} ${unit}${n === 1 ? "" : "s"}`, seconds: n * INTERVAL_UNITS[unit] };
}

/**
 * Types the model may use, mapped to how PostgreSQL's `format_type` reports them, so the live catalog can be compared
 * with the model. `(p,s)`/`(n)` modifiers are kept.
 */
const KNOWN_TYPES: Record<string, string> = {
  smallint: "smallint", int2: "smallint",
  integer: "integer", int: "integer", int4: "integer", serial: "integer",
  bigint: "bigint", int8: "bigint", bigserial: "bigint",
  real: "real", "double precision": "double precision",
  numeric: "numeric", decimal: "numeric",
  text: "text", varchar: "character varying", "character varying": "character varying",
  boolean: "boolean", bool: "boolean",
  timestamptz: "timestamp with time zone", "timestamp with time zone": "timestamp with time zone",
  timestamp: "timestamp without time zone", "timestamp without time zone": "timestamp without time zone",
  date: "date", jsonb: "jsonb", uuid: "uuid", bytea: "bytea",
};

/** `NUMERIC(20, 2)` as `numeric(20,2)`, `TIMESTAMPTZ` as `timestamp with time zone`; undefined for unknown types. */
export function canonicalType(type: string): string | undefined {
  const m = /^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(type);
  if (!m) return undefined;
  const base = KNOWN_TYPES[m[1].toLowerCase().replace(/\s+/g, " ")];
  if (!base) return undefined;
  if (m[2] === undefined) return base;
  if (base !== "numeric" && base !== "character varying") return undefined;
  return `${base}(${m[2]}${m[3] !== undefined ? `,${m[3]}` : ""})`;
}

/** Serial types: the column gets a sequence `<table>_<column>_seq` and a nextval default. */
export function isSerial(type: string): boolean {
  return /^\s*(big)?serial\s*$/i.test(type);
}

/** Sequences the model's tables own (serial columns), as PostgreSQL names them. */
export function sequenceNames(table: TableSpec): string[] {
  return table.columns.filter((c) => isSerial(c.type)).map((c) => `${table.name}_${c.name}_seq`);
}

/**
 * A time-series table with the project's conventions filled in: `id BIGSERIAL` first, primary key (id, time column),
 * 1-day chunks, an index `idx_<table>_<time>` on the time column descending that the reorder policy uses,
 * compression ordered by time and id descending, compression after 7 days.
 */
export function timeSeriesTable(t: {
  name: string;
  timeColumn: string;
  columns: readonly ColumnSpec[];
  retention: string;
  segmentBy?: readonly string[];
  extraIndexes?: readonly IndexSpec[];
  chunkInterval?: string;
  compressAfter?: string;
}): TableSpec {
  const timeIndex = `idx_${t.name}_${t.timeColumn}`;
  return {
    name: t.name,
    columns: [{ name: "id", type: "BIGSERIAL" }, ...t.columns],
    primaryKey: ["id", t.timeColumn],
    timeColumn: t.timeColumn,
    chunkInterval: t.chunkInterval ?? "1 day",
    indexes: [{ name: timeIndex, columns: [{ column: t.timeColumn, desc: true }] }, ...(t.extraIndexes ?? [])],
    compression: {
      segmentBy: t.segmentBy ?? [],
      orderBy: [{ column: t.timeColumn, desc: true }, { column: "id", desc: true }],
    },
    compressAfter: t.compressAfter ?? "7 days",
    retention: t.retention,
    reorderIndex: timeIndex,
  };
}

const tickerColumns: readonly ColumnSpec[] = [
  { name: "timestamp", type: "TIMESTAMPTZ" },
  { name: "cross_sequence", type: "BIGINT" },
  { name: "last_price", type: "NUMERIC(20,2)" },
  { name: "high_price_24h", type: "NUMERIC(20,2)" },
  { name: "low_price_24h", type: "NUMERIC(20,2)" },
  { name: "prev_price_24h", type: "NUMERIC(20,2)" },
  { name: "volume_24h", type: "NUMERIC(20,8)" },
  { name: "turnover_24h", type: "NUMERIC(20,4)" },
  { name: "price_24h_pcnt", type: "NUMERIC(10,4)" },
  { name: "usd_index_price", type: "NUMERIC(20,6)", nullable: true },
];

/** The seed's four hypertables, in the order the init script creates them. */
export const CRYPTO_SCOUT_TABLES: readonly TableSpec[] = deepFreeze([
  timeSeriesTable({
    name: "cmc_fgi",
    timeColumn: "timestamp",
    columns: [
      { name: "score", type: "INTEGER" },
      { name: "name", type: "TEXT" },
      { name: "timestamp", type: "TIMESTAMPTZ" },
      { name: "btc_price", type: "NUMERIC(20,2)" },
      { name: "btc_volume", type: "NUMERIC(20,2)" },
    ],
    segmentBy: ["name"],
    retention: "730 days",
  }),
  // Candles at 1m, 1h and 1d with their defaults (components/database/candles.ts).
  { ...timeSeriesTable({ name: "bybit_spot_tickers_btc_usdt", timeColumn: "timestamp", columns: tickerColumns, retention: "180 days" }), candles: {} },
  { ...timeSeriesTable({ name: "bybit_spot_tickers_eth_usdt", timeColumn: "timestamp", columns: tickerColumns, retention: "180 days" }), candles: {} },
  timeSeriesTable({
    name: "bybit_lpl",
    timeColumn: "stake_begin_time",
    columns: [
      { name: "return_coin", type: "TEXT" },
      { name: "return_coin_icon", type: "TEXT" },
      { name: "description", type: "TEXT" },
      { name: "website", type: "TEXT" },
      { name: "whitepaper", type: "TEXT" },
      { name: "rules", type: "TEXT" },
      { name: "stake_begin_time", type: "TIMESTAMPTZ" },
      { name: "stake_end_time", type: "TIMESTAMPTZ" },
      { name: "trade_begin_time", type: "TIMESTAMPTZ", nullable: true },
    ],
    segmentBy: ["return_coin"],
    extraIndexes: [{ name: "idx_bybit_lpl_return_coin", columns: [{ column: "return_coin" }] }],
    retention: "730 days",
  }),
]);

/** The default schema name (the seed's). */
export const DEFAULT_SCHEMA = "crypto_scout";

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
export const IDENTIFIER_RULE = "a lower-case SQL identifier: letters a-z, digits and '_', not starting with a digit, at most 63 characters";

/** The identifier rule as a component argument check (components/args.ts). */
export const sqlIdentifier: Rule<string> = (v) => (isIdentifier(v) ? undefined : IDENTIFIER_RULE);

/** Whether `name` is an identifier this project allows (plain lower-case, so no quoting surprises). */
export function isIdentifier(name: unknown, maxLength = 63): name is string {
  return typeof name === "string" && IDENTIFIER.test(name) && Buffer.byteLength(name) <= maxLength;
}

/** Throws a one-line ConfigError for a schema name that is not a plain identifier. */
export function validateSchemaName(key: string, schema: unknown): string {
  if (!isIdentifier(schema)) throw new ConfigError(key, schema, IDENTIFIER_RULE);
  return schema;
}

/**
 * Checks a table model: identifiers, known types, a NOT NULL time column of a time type, a primary key and unique
 * indexes that include it, indexes and compression columns that exist, a reorder index that is one of the indexes,
 * valid intervals, no duplicate names. Throws one line: `Invalid table model '<table>.<field>': got ...; expected ...`.
 */
export function validateModel(tables: readonly TableSpec[]): void {
  const fail = (where: string, value: unknown, allowed: string): never => {
    const e = new ConfigError(where, value, allowed);
    e.message = e.message.replace(/^Invalid config/, "Invalid table model");
    throw e;
  };
  if (!Array.isArray(tables) || tables.length === 0) fail("tables", tables, "a non-empty list of tables");
  const tableNames = new Set<string>();
  const indexNames = new Set<string>();
  for (const t of tables) {
    // Leave room for the "_id_seq" suffix PostgreSQL gives the serial id's sequence.
    if (!isIdentifier(t?.name, 55)) fail("tables[].name", t?.name, `${IDENTIFIER_RULE.replace("63", "55")}`);
    const at = (field: string) => `${t.name}.${field}`;
    if (tableNames.has(t.name)) fail(at("name"), t.name, "a table name used once");
    tableNames.add(t.name);
    if (!Array.isArray(t.columns) || t.columns.length === 0) fail(at("columns"), t.columns, "a non-empty list of columns");
    const columns = new Map<string, ColumnSpec>();
    for (const c of t.columns) {
      if (!isIdentifier(c?.name)) fail(at("columns[].name"), c?.name, IDENTIFIER_RULE);
      if (columns.has(c.name)) fail(at(`columns.${c.name}`), c.name, "a column name used once");
      if (typeof c.type !== "string" || !canonicalType(c.type)) {
        fail(at(`columns.${c.name}.type`), c.type, `one of ${Object.keys(KNOWN_TYPES).join(", ")} (NUMERIC(p,s) and VARCHAR(n) take modifiers)`);
      }
      if (c.default !== undefined && (typeof c.default !== "string" || c.default.trim() === "" || c.default.includes(";"))) {
        fail(at(`columns.${c.name}.default`), c.default, "a single SQL expression such as 0 or now()");
      }
      if (isSerial(c.type) && (c.nullable || c.default !== undefined)) fail(at(`columns.${c.name}`), c, "a serial column without nullable or default");
      columns.set(c.name, c);
    }
    const column = (field: string, name: unknown): ColumnSpec => {
      const c = typeof name === "string" ? columns.get(name) : undefined;
      if (!c) fail(at(field), name, `one of the table's columns (${[...columns.keys()].join(", ")})`);
      return c as ColumnSpec;
    };
    const time = column("timeColumn", t.timeColumn);
    const timeType = canonicalType(time.type);
    if (timeType !== "timestamp with time zone" && timeType !== "timestamp without time zone" && timeType !== "date") {
      fail(at("timeColumn"), `${time.name} ${time.type}`, "a TIMESTAMPTZ (or TIMESTAMP or DATE) column");
    }
    if (time.nullable) fail(at(`columns.${time.name}.nullable`), true, "false: the time column must be NOT NULL");
    if (!Array.isArray(t.primaryKey) || t.primaryKey.length === 0) fail(at("primaryKey"), t.primaryKey, "a non-empty list of columns");
    t.primaryKey.forEach((k) => column("primaryKey", k));
    if (!t.primaryKey.includes(t.timeColumn)) fail(at("primaryKey"), t.primaryKey, `a key that includes the time column ${t.timeColumn}`);
    for (const k of t.primaryKey) if (columns.get(k)?.nullable) fail(at(`columns.${k}.nullable`), true, "false: primary key columns are NOT NULL");
    for (const field of ["chunkInterval", "compressAfter", "retention"] as const) {
      if (!parseInterval(t[field])) fail(at(field), t[field], INTERVAL_SYNTAX);
    }
    const windows = windowProblem(t);
    if (windows) fail(at(windows.field), t[windows.field], windows.allowed);
    const ownIndexes = new Set<string>();
    for (const idx of t.indexes ?? []) {
      if (!isIdentifier(idx?.name)) fail(at("indexes[].name"), idx?.name, IDENTIFIER_RULE);
      if (indexNames.has(idx.name) || idx.name === `${t.name}_pkey`) fail(at(`indexes.${idx.name}`), idx.name, "an index name used once in the schema");
      indexNames.add(idx.name);
      ownIndexes.add(idx.name);
      if (!Array.isArray(idx.columns) || idx.columns.length === 0) fail(at(`indexes.${idx.name}.columns`), idx.columns, "a non-empty list of columns");
      idx.columns.forEach((k) => column(`indexes.${idx.name}.columns`, k?.column));
      if (idx.unique && !idx.columns.some((k) => k.column === t.timeColumn)) {
        fail(at(`indexes.${idx.name}`), idx.name, `a unique index that includes the time column ${t.timeColumn}`);
      }
    }
    if (!ownIndexes.has(t.reorderIndex)) fail(at("reorderIndex"), t.reorderIndex, `one of the table's indexes (${[...ownIndexes].join(", ") || "none"})`);
    const segmentBy = t.compression?.segmentBy ?? [];
    const orderBy = t.compression?.orderBy ?? [];
    segmentBy.forEach((c) => column("compression.segmentBy", c));
    orderBy.forEach((k) => column("compression.orderBy", k?.column));
    const overlap = segmentBy.filter((c) => orderBy.some((k) => k.column === c));
    if (overlap.length > 0) fail(at("compression"), overlap, "segmentBy and orderBy columns that do not overlap");
    if (t.storage !== undefined && !(TABLE_STORAGES as readonly unknown[]).includes(t.storage)) fail(at("storage"), t.storage, TABLE_STORAGES.join(" or "));
    if (t.storage === "scaled") {
      if (!t.columns.some((c) => /^numeric\(\d+(,\d+)?\)$/.test(canonicalType(c.type) ?? ""))) {
        fail(at("storage"), t.storage, "numeric for a table without NUMERIC(p,s) columns (scaled stores those as integers)");
      }
      // The view keeps the table's name; its storage is <table>_scaled, with the model's index names.
      if (tables.some((o) => o.name === `${t.name}_scaled`)) fail(at("name"), t.name, `a name whose scaled storage (${t.name}_scaled) is not another table's`);
    }
  }
}

/**
 * Validates raw `tables` config: an object of table name to `{ chunkInterval?, compressAfter?, retention? }`.
 * Throws a one-line ConfigError naming the exact key (`tables.cmc_fgi.retention`), the value and what is allowed.
 */
export function validateTableOverrides(key: string, raw: unknown, tables: readonly TableSpec[] = CRYPTO_SCOUT_TABLES): TableOverrides {
  if (raw === undefined || raw === null) return {};
  const known = tables.map((t) => t.name);
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(key, raw, `a map of table name (${known.join(", ")}) to { ${OVERRIDE_FIELDS.join(", ")} }`);
  }
  const out: Record<string, TableOverride> = {};
  for (const [table, override] of Object.entries(raw as Record<string, unknown>)) {
    const tableKey = `${key}.${table}`;
    if (!known.includes(table)) throw new ConfigError(tableKey, override, `a key naming one of the tables ${known.join(", ")}`);
    if (typeof override !== "object" || override === null || Array.isArray(override)) {
      throw new ConfigError(tableKey, override, `an object with any of ${OVERRIDE_FIELDS.join(", ")}`);
    }
    const fields: Record<string, string | CandlesConfig | false> = {};
    for (const [field, value] of Object.entries(override as Record<string, unknown>)) {
      if (!(OVERRIDE_FIELDS as readonly string[]).includes(field)) {
        throw new ConfigError(`${tableKey}.${field}`, value, `one of the fields ${OVERRIDE_FIELDS.join(", ")}`);
      }
      if (field === "candles") {
        fields[field] = validateCandlesConfig(`${tableKey}.${field}`, value) as never;
        continue;
      }
      if (field === "storage") {
        if (!(TABLE_STORAGES as readonly unknown[]).includes(value)) {
          throw new ConfigError(`${tableKey}.${field}`, value, "numeric (NUMERIC columns, as the earlier podman-compose deployment) or scaled (integers behind a view with the same columns; docs/storage.md)");
        }
        fields[field] = value as string;
        continue;
      }
      const interval = parseInterval(value);
      if (!interval && field === "allowRetentionDrop") {
        throw new ConfigError(`${tableKey}.${field}`, value, `the retention it allows to drop existing chunks, the same interval as ${tableKey}.retention (an opt-in bound to one value, never a standing true)`);
      }
      if (!interval) throw new ConfigError(`${tableKey}.${field}`, value, INTERVAL_SYNTAX);
      fields[field] = interval.text;
    }
    out[table] = fields as TableOverride;
  }
  return out;
}

/**
 * Checks the shape of `tables.<table>.candles`: `false`, or an object of interval (`1m`, `1h`, `1d`) to `false` or
 * `{ refreshWindow?, refreshEvery?, retention? }` (intervals; retention may be `forever`). Returns it with the
 * intervals in canonical text. How the windows relate is checked with the table (components/database/candles.ts).
 */
export function validateCandlesConfig(key: string, raw: unknown): CandlesConfig | false {
  if (raw === false) return false;
  const shape = `false, or a map of interval (${CANDLE_INTERVALS.join(", ")}) to false or { ${CANDLE_FIELDS.join(", ")} }`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(key, raw, shape);
  const out: Partial<Record<CandleInterval, CandleSettings | false>> = {};
  for (const [interval, settings] of Object.entries(raw as Record<string, unknown>)) {
    const at = `${key}.${interval}`;
    if (!(CANDLE_INTERVALS as readonly string[]).includes(interval)) throw new ConfigError(at, settings, `a key naming one of the candle intervals ${CANDLE_INTERVALS.join(", ")}`);
    if (settings === false) {
      out[interval as CandleInterval] = false;
      continue;
    }
    if (typeof settings !== "object" || settings === null || Array.isArray(settings)) throw new ConfigError(at, settings, `false, or an object with any of ${CANDLE_FIELDS.join(", ")}`);
    const fields: Record<string, string> = {};
    for (const [field, value] of Object.entries(settings as Record<string, unknown>)) {
      if (!(CANDLE_FIELDS as readonly string[]).includes(field)) throw new ConfigError(`${at}.${field}`, value, `one of the fields ${CANDLE_FIELDS.join(", ")}`);
      if (field === "retention" && value === "forever") {
        fields[field] = "forever";
        continue;
      }
      const interval = parseInterval(value);
      if (!interval) throw new ConfigError(`${at}.${field}`, value, field === "retention" ? `${INTERVAL_SYNTAX}, or forever` : INTERVAL_SYNTAX);
      fields[field] = interval.text;
    }
    out[interval as CandleInterval] = fields;
  }
  return out;
}

/** A table's candles with a stack's candle overrides merged in, interval by interval (`false` replaces). */
function mergeCandles(model: CandlesConfig | false | undefined, override: CandlesConfig | false | undefined): CandlesConfig | false | undefined {
  if (override === undefined) return model;
  if (override === false) return false;
  const out: Partial<Record<CandleInterval, CandleSettings | false>> = { ...(model || {}) };
  for (const [interval, settings] of Object.entries(override) as [CandleInterval, CandleSettings | false][]) {
    const base = out[interval];
    out[interval] = settings === false ? false : { ...(base || {}), ...settings };
  }
  return out;
}

/** The windows of a table, the only fields `windowProblem` reads. */
export type TableWindows = Pick<TableSpec, "chunkInterval" | "compressAfter" | "retention">;

/**
 * Window combinations that would drop rows sooner than the stack means, or never let compression keep a chunk:
 * refused at preview, in the model and in a stack's `tables` overrides. TimescaleDB works in whole chunks: the
 * compression policy compresses a chunk once its whole range is older than `compressAfter` (sql/policy_internal.sql:
 * show_chunks(older_than => lag)), and the retention policy drops a chunk once its whole range is older than
 * `retention` (tsl/src/bgw_policy/job.c policy_retention_execute, src/chunk.c ts_chunk_do_drop_chunks). The retention
 * job runs once a day (tsl/src/bgw_policy/policies_v2.h DEFAULT_RETENTION_SCHEDULE_INTERVAL), the compression job
 * every half chunk interval, at most every 12 hours (tsl/src/bgw_policy/compression_api.c, DEFAULT_MAX_SCHEDULE_PERIOD).
 * - `retention` shorter than `chunkInterval`: the table holds anywhere from `retention` to `retention` + one chunk,
 *   and every drop removes a chunk's worth of rows at once; a stack that means "keep a day" with weekly chunks
 *   would swing between one and eight days. Refused; make the chunk no longer than the retention.
 * - `retention` not longer than `compressAfter`: each chunk is dropped before (or as) it would be compressed, so
 *   compression never keeps anything and the table holds only uncompressed rows.
 * - `retention` shorter than `compressAfter` + `chunkInterval`: a chunk is dropped less than one chunk's length after
 *   it was compressed, and the daily retention job may drop it before the compression job has run on it. Refused for the same reason: the windows say "compress, then keep",
 *   and this keeps nothing compressed.
 * Returns the field to name (the retention, unless only `preferred` fields were set by the stack) and what is allowed.
 */
export function windowProblem(t: TableWindows, preferred: readonly (keyof TableWindows)[] = ["retention"]): { field: keyof TableWindows; allowed: string } | undefined {
  const chunk = parseInterval(t.chunkInterval);
  const compress = parseInterval(t.compressAfter);
  const retention = parseInterval(t.retention);
  if (!chunk || !compress || !retention) return undefined;
  // Name the field the stack set; when it set several, the retention (the window that drops rows).
  const pick = (...fields: (keyof TableWindows)[]) => fields.find((f) => preferred.includes(f)) ?? fields[0];
  if (retention.seconds < chunk.seconds) {
    const field = pick("retention", "chunkInterval");
    return {
      field,
      allowed: field === "retention"
        ? `a retention of at least chunkInterval (${chunk.text}): TimescaleDB drops whole chunks, so the table would hold anywhere from ${retention.text} to ${retention.text} plus one chunk; shorten the chunk interval too`
        : `a chunk interval no longer than retention (${retention.text}): TimescaleDB drops whole chunks, so the table would hold anywhere from ${retention.text} to ${retention.text} plus one chunk`,
    };
  }
  if (retention.seconds <= compress.seconds) {
    const field = pick("retention", "compressAfter");
    return {
      field,
      allowed: field === "retention"
        ? `a retention longer than compressAfter (${compress.text}): otherwise every chunk is dropped before it is compressed`
        : `a compressAfter shorter than retention (${retention.text}): otherwise every chunk is dropped before it is compressed`,
    };
  }
  if (retention.seconds < compress.seconds + chunk.seconds) {
    const field = pick("retention", "compressAfter", "chunkInterval");
    const least = `compressAfter (${compress.text}) plus chunkInterval (${chunk.text})`;
    return {
      field,
      allowed: field === "retention"
        ? `a retention of at least ${least}: a shorter one drops each chunk less than one chunk after it was compressed, possibly before the compression job ran on it`
        : `windows where retention (${retention.text}) is at least ${least}: a shorter retention drops each chunk less than one chunk after it was compressed, possibly before the compression job ran on it`,
    };
  }
  return undefined;
}

/** The model with a stack's `tables` overrides applied (validated first), frozen. */
export function applyTableOverrides(key: string, raw: unknown, tables: readonly TableSpec[] = CRYPTO_SCOUT_TABLES): readonly TableSpec[] {
  const overrides = validateTableOverrides(key, raw, tables);
  const result = tables.map((t): TableSpec => {
    const override = overrides[t.name] ?? {};
    const merged = { ...t, ...override };
    const candles = mergeCandles(t.candles, override.candles);
    if (candles === undefined) delete (merged as { candles?: unknown }).candles;
    else merged.candles = candles;
    return merged;
  });
  // The window rules name the key the stack wrote (`tables.<table>.retention`), with the value it wrote there.
  for (const t of result) {
    const windows: readonly string[] = ["chunkInterval", "compressAfter", "retention"];
    const set = Object.keys(overrides[t.name] ?? {}).filter((f) => windows.includes(f)) as (keyof TableWindows)[];
    const problem = set.length > 0 ? windowProblem(t, set) : undefined;
    if (problem) throw new ConfigError(`${key}.${t.name}.${problem.field}`, rawField(raw, t.name, problem.field), problem.allowed);
    // The opt-in names the retention it allows; one left over from an earlier change does not allow this one.
    if (t.allowRetentionDrop !== undefined && t.allowRetentionDrop !== t.retention) {
      throw new ConfigError(
        `${key}.${t.name}.allowRetentionDrop`,
        rawField(raw, t.name, "allowRetentionDrop"),
        `the retention being applied, ${t.retention} (${key}.${t.name}.retention): the opt-in allows dropping existing chunks for that one value; set it to ${t.retention} to allow this change, or remove it`,
      );
    }
  }
  validateModel(result);
  return deepFreeze(result);
}

/** The value the stack wrote for `<table>.<field>` (before canonicalising), for messages. */
function rawField(raw: unknown, table: string, field: string): unknown {
  return ((raw as Record<string, Record<string, unknown>>)[table] ?? {})[field];
}
