/**
 * Candles: OHLC continuous aggregates of a ticker table (docs/candles.md). Pure functions, no database access: they
 * also run inside the dynamic providers (providers/candles.ts), so they keep to functions and constants.
 *
 * Per table `t` in schema `s`, for each configured interval (finest first), a real-time continuous aggregate
 *   s.t_candles_1m  on the table's hypertable (t, or t_scaled for scaled storage: a continuous aggregate cannot be
 *                   built on a view), 1-minute buckets;
 *   s.t_candles_1h  on s.t_candles_1m (hierarchical, TimescaleDB 2.9+), 1-hour buckets;
 *   s.t_candles_1d  on s.t_candles_1h, 1-day buckets (UTC days: time_bucket's default origin);
 * each built on the finest configured interval below it, or on the table when there is none. Columns: bucket,
 * open, high, low, close (of last_price), volume_24h and turnover_24h (the last value in the bucket), all in the
 * table's NUMERIC(p,s) types, and ticks (bigint, rows in the bucket).
 *
 * Exact: on the table, first/max/min/last over the bucket, as an analyst's GROUP BY time_bucket computes them; for
 * scaled storage the aggregates run over the stored integers and each result is converted once per bucket row, with
 * the view's own expression (scaled.ts `readSql`): max, min, first and last commute with that exact, increasing
 * conversion. One level up, first(open, bucket), max(high), min(low), last(close, bucket), last(volume_24h, bucket),
 * sum(ticks) over the finer candles equal the same aggregates over the rows (first/last by time pick the first/last
 * row's value, NULL included; max/min ignore NULLs at both levels). Rows with equal timestamps: which one is open or
 * close is unspecified, as it is for first/last on the table.
 *
 * Refresh and retention (how the windows keep candles materialized before their source is dropped):
 *   each refresh looks back `refreshWindow` (start_offset) and stops one bucket before now (end_offset: the still
 *   open bucket is answered by real-time aggregation); it runs every `refreshEvery`.
 *   1. refreshWindow >= one bucket + end_offset + refreshEvery: every bucket is inside the window on at least one run,
 *      so it is materialized within end_offset + one bucket + refreshEvery of closing.
 *   2. refreshWindow + one bucket <= the source's retention (the table's, or the finer candles'): the window never
 *      reaches rows retention may have dropped (a chunk is dropped only when it ends more than the retention ago, the
 *      window starts at most a bucket earlier than refreshWindow ago). A refresh over dropped rows would delete
 *      those candles; with (1), each candle is materialized long before its rows are dropped.
 *   3. the candles' own retention > refreshWindow + one bucket: a refresh never re-materializes what retention
 *      drops.
 *   4. a coarser interval's refreshWindow >= the finer one's: the finer level's late rows and backfill (which log
 *      invalidations for the coarser one) are always inside the coarser window.
 *   5. TimescaleDB's own rule: start_offset is at least end_offset plus two buckets.
 * Config that breaks any of them is refused, naming the key.
 *
 * Backfill: created WITH NO DATA (no `pulumi up` waits for months of ticks); the refresh policy materializes the
 * window in batches of `bucketsPerBatch` buckets, newest first, at most `maxBatchesPerRun` per run, on TimescaleDB
 * 2.19+ (buckets_per_batch and max_batches_per_execution of add_continuous_aggregate_policy, sql/policy_api.sql and
 * sql/updates/2.18.2--2.19.0.sql of timescale/timescaledb; each batch its own transaction, tsl/src/bgw_policy/job.c
 * policy_refresh_cagg_execute). Older versions refresh the window in one run.
 */
import { createHash } from "node:crypto";
import { ConfigError } from "../config/units";
import { CANDLE_INTERVALS, INTERVAL_SYNTAX, parseInterval, type CandleInterval, type CandleSettings, type TableSpec } from "./model";
import { scaledColumns, scaledValueSql, storageTableName } from "./scaled";
import { ident, intervalSql, literal, qualified, typeSql } from "./sql";

/** Bucket width and default settings per interval. */
export const CANDLE_DEFAULTS: Readonly<Record<CandleInterval, { bucket: string; refreshEvery: string; retention: string; bucketsPerBatch: number }>> = {
  // 1-minute candles: kept 2 years (4 times the raw ticks' 180 days; a year of 1-minute candles is 525,600 rows per
  // table), refreshed every 5 minutes (real-time aggregation answers the rest from the raw rows), backfilled a day
  // (1,440 buckets, one raw chunk) per batch.
  "1m": { bucket: "1 minute", refreshEvery: "5 minutes", retention: "730 days", bucketsPerBatch: 1440 },
  // Hours and days are kept forever: 8,760 and 365 rows a year per table.
  "1h": { bucket: "1 hour", refreshEvery: "1 hour", retention: "forever", bucketsPerBatch: 168 },
  "1d": { bucket: "1 day", refreshEvery: "1 day", retention: "forever", bucketsPerBatch: 31 },
};

/** Batches per run of a refresh policy: with the buckets per batch above, 10 days of 1-minute candles per run. */
export const MAX_BATCHES_PER_RUN = 10;

/** The columns a table needs for candles: the price, the 24 h volume and turnover. */
export const CANDLE_COLUMNS = { price: "last_price", volume: "volume_24h", turnover: "turnover_24h" } as const;

/** The refresh policy of one candle aggregate, as its resource's input. */
export interface CandleRefresh {
  readonly kind: "refresh";
  /** start_offset, canonical interval text. */
  readonly window: string;
  /** end_offset: one bucket. */
  readonly lag: string;
  /** schedule_interval. */
  readonly every: string;
  /** buckets_per_batch (TimescaleDB 2.19+). */
  readonly bucketsPerBatch: number;
  /** max_batches_per_execution (TimescaleDB 2.19+). */
  readonly maxBatchesPerRun: number;
}

/** The retention policy of one candle aggregate (absent when kept forever). */
export interface CandleRetention {
  readonly kind: "retention";
  readonly after: string;
}

export type CandlePolicy = CandleRefresh | CandleRetention;

/** One candle aggregate of one table, resolved from the model and the stack's config. */
export interface CandleSpec {
  readonly table: string;
  readonly interval: CandleInterval;
  /** `<table>_candles_<interval>`. */
  readonly name: string;
  readonly bucket: string;
  /** What it aggregates: the table's hypertable, or the finer candles' aggregate. */
  readonly source: string;
  /** The SELECT that defines it (GROUP BY the bucket). */
  readonly query: string;
  /** Changes whenever this aggregate or one it is built on would have to be re-created. */
  readonly definitionHash: string;
  readonly refresh: CandleRefresh;
  /** Undefined: kept forever. */
  readonly retention?: CandleRetention;
}

/** `<table>_candles_<interval>`. */
export function candleName(table: string, interval: CandleInterval): string {
  return `${table}_candles_${interval}`;
}

const seconds = (text: string): number => parseInterval(text)?.seconds ?? NaN;

/** Seconds as canonical interval text in the largest whole unit (`179 days`, `36 hours`). */
function intervalText(s: number): string {
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]] as const) {
    if (s % size === 0) return `${s / size} ${unit}${s / size === 1 ? "" : "s"}`;
  }
  throw new Error(`Not a whole number of minutes: ${s} s`);
}

/** Seconds as words for messages: `179 days 23 hours 59 minutes`. */
function describe(s: number): string {
  if (s === Infinity) return "forever";
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? "" : "s"}`);
    rest -= n * size;
  }
  return parts.join(" ") || "0 minutes";
}

/**
 * The candle aggregates of a table, finest first, with the defaults applied and the windows checked (module
 * comment, rules 1-5). Throws a ConfigError naming `tables.<table>.candles...` for config that breaks a rule or for
 * candles on a table without the ticker columns. `key` is the config key of the model's tables.
 *
 * Defaults: refreshWindow of the finest interval is the source's retention less one day (so the policy backfills
 * every row the table still holds, and the day keeps the window clear of chunks retention is about to drop); a
 * coarser interval takes the finer one's window (rule 4's minimum).
 */
export function candleSpecs(schema: string, t: TableSpec, key = "tables"): CandleSpec[] {
  const config = t.candles;
  if (!config) return [];
  const at = `${key}.${t.name}.candles`;
  const missing = [...Object.values(CANDLE_COLUMNS), t.timeColumn].filter((c) => !t.columns.some((col) => col.name === c));
  if (missing.length > 0) throw new ConfigError(at, config, `false for a table without the ticker columns ${missing.join(", ")} (candles aggregate last_price, volume_24h and turnover_24h by ${t.timeColumn})`);
  const specs: CandleSpec[] = [];
  let sourceRetention = seconds(t.retention);
  let sourceName = t.storage === "scaled" ? storageTableName(t.name) : t.name;
  let lowerWindow: number | undefined;
  let lowerHash = "";
  for (const interval of CANDLE_INTERVALS) {
    const settings = config[interval];
    if (settings === false) continue;
    const given: CandleSettings = settings ?? {};
    const d = CANDLE_DEFAULTS[interval];
    const field = (f: keyof CandleSettings) => `${at}.${interval}.${f}`;
    const bucket = seconds(d.bucket);
    const every = given.refreshEvery ?? d.refreshEvery;
    const retentionText = given.retention ?? d.retention;
    const retention = retentionText === "forever" ? Infinity : seconds(retentionText);
    const defaultWindow = lowerWindow ?? sourceRetention - 86400;
    const window = given.refreshWindow !== undefined ? seconds(given.refreshWindow) : defaultWindow;
    const windowKey = given.refreshWindow !== undefined ? field("refreshWindow") : `${field("refreshWindow")} (default ${Number.isFinite(window) && window > 0 ? intervalText(window) : "none"})`;
    for (const [f, v] of [["refreshWindow", given.refreshWindow], ["refreshEvery", given.refreshEvery]] as const) {
      if (v !== undefined && !parseInterval(v)) throw new ConfigError(field(f), v, INTERVAL_SYNTAX);
    }
    if (!Number.isFinite(window) || window <= 0) throw new ConfigError(windowKey, given.refreshWindow ?? null, INTERVAL_SYNTAX);
    const sourceWhat = specs.length === 0 ? `the table's retention (${t.retention})` : `the ${specs[specs.length - 1].interval} candles' retention`;
    // Rule 1, and TimescaleDB's (validate_window_size in tsl/src/bgw_policy/continuous_aggregate_api.c: end_offset
    // plus two buckets must not pass start_offset).
    const minimum = Math.max(3 * bucket, 2 * bucket + seconds(every));
    if (window < minimum) {
      throw new ConfigError(windowKey, intervalText(window), `at least ${describe(minimum)}: the bucket left to real-time aggregation plus one bucket plus refreshEvery (${every}), and at least three buckets, so every bucket is refreshed at least once`);
    }
    if (window + bucket > sourceRetention) {
      throw new ConfigError(windowKey, intervalText(window), `at most ${describe(sourceRetention - bucket)}: ${sourceWhat} less one bucket, so a refresh never covers dropped rows (which would delete their candles)`);
    }
    if (lowerWindow !== undefined && window < lowerWindow) {
      throw new ConfigError(windowKey, intervalText(window), `at least the finer candles' refreshWindow (${intervalText(lowerWindow)}), so their late rows and backfill reach these candles`);
    }
    if (retention <= window + bucket) {
      throw new ConfigError(field("retention"), retentionText, `forever or more than refreshWindow plus one bucket (${describe(window + bucket)}), so a refresh never re-creates candles retention dropped`);
    }
    const name = candleName(t.name, interval);
    const query = candleQuery(schema, t, interval, sourceName, specs.length === 0);
    const definitionHash = createHash("sha256").update(`${lowerHash}\n${query}`).digest("hex").slice(0, 16);
    specs.push({
      table: t.name,
      interval,
      name,
      bucket: d.bucket,
      source: sourceName,
      query,
      definitionHash,
      refresh: { kind: "refresh", window: intervalText(window), lag: d.bucket, every: parseInterval(every)!.text, bucketsPerBatch: d.bucketsPerBatch, maxBatchesPerRun: MAX_BATCHES_PER_RUN },
      ...(retention === Infinity ? {} : { retention: { kind: "retention" as const, after: intervalText(retention) } }),
    });
    sourceRetention = retention;
    sourceName = name;
    lowerWindow = window;
    lowerHash = definitionHash;
  }
  return specs;
}

/** Every candle aggregate of the model, in creation order (per table, finest first). */
export function modelCandles(schema: string, tables: readonly TableSpec[], key = "tables"): CandleSpec[] {
  return tables.flatMap((t) => candleSpecs(schema, t, key));
}

/**
 * The SELECT of one aggregate. On the table (`fromTable`): the aggregates over the rows, each cast to the column's
 * NUMERIC(p,s) (an aggregate's result has no typmod; every value already has scale s, so the cast is exact); for
 * scaled storage over the stored integers, converted once per bucket. On finer candles: the same aggregates over them.
 */
export function candleQuery(schema: string, t: TableSpec, interval: CandleInterval, source: string, fromTable: boolean): string {
  const bucket = intervalSql(CANDLE_DEFAULTS[interval].bucket);
  const type = (column: string) => typeSql(t.columns.find((c) => c.name === column)!.type);
  const price = type(CANDLE_COLUMNS.price);
  const volume = type(CANDLE_COLUMNS.volume);
  const turnover = type(CANDLE_COLUMNS.turnover);
  const from = qualified(schema, source);
  if (fromTable) {
    const time = ident(t.timeColumn);
    const scaled = t.storage === "scaled" ? scaledColumns(t) : undefined;
    // The table's value of an aggregate: cast to its type, or for scaled storage the integer converted as the view does.
    const value = (column: string, aggregate: string) => {
      const c = scaled?.find((s) => s.name === column);
      return c ? scaledValueSql(c, aggregate) : `${aggregate}::${type(column)}`;
    };
    const p = ident(CANDLE_COLUMNS.price);
    return [
      `SELECT time_bucket(${bucket}, ${time}) AS "bucket",`,
      `  ${value(CANDLE_COLUMNS.price, `first(${p}, ${time})`)} AS "open",`,
      `  ${value(CANDLE_COLUMNS.price, `max(${p})`)} AS "high",`,
      `  ${value(CANDLE_COLUMNS.price, `min(${p})`)} AS "low",`,
      `  ${value(CANDLE_COLUMNS.price, `last(${p}, ${time})`)} AS "close",`,
      `  ${value(CANDLE_COLUMNS.volume, `last(${ident(CANDLE_COLUMNS.volume)}, ${time})`)} AS ${ident(CANDLE_COLUMNS.volume)},`,
      `  ${value(CANDLE_COLUMNS.turnover, `last(${ident(CANDLE_COLUMNS.turnover)}, ${time})`)} AS ${ident(CANDLE_COLUMNS.turnover)},`,
      `  count(*) AS "ticks"`,
      `FROM ${from}`,
      `GROUP BY 1`,
    ].join("\n");
  }
  return [
    `SELECT time_bucket(${bucket}, "bucket") AS "bucket",`,
    `  first("open", "bucket")::${price} AS "open",`,
    `  max("high")::${price} AS "high",`,
    `  min("low")::${price} AS "low",`,
    `  last("close", "bucket")::${price} AS "close",`,
    `  last(${ident(CANDLE_COLUMNS.volume)}, "bucket")::${volume} AS ${ident(CANDLE_COLUMNS.volume)},`,
    `  last(${ident(CANDLE_COLUMNS.turnover)}, "bucket")::${turnover} AS ${ident(CANDLE_COLUMNS.turnover)},`,
    `  sum("ticks")::BIGINT AS "ticks"`,
    `FROM ${from}`,
    `GROUP BY 1`,
  ].join("\n");
}

/** The comment that marks an aggregate as these candles with this definition (how a live one is compared). */
export function candleComment(spec: Pick<CandleSpec, "interval" | "definitionHash">): string {
  return `crypto-scout-db candles ${spec.interval}, definition ${spec.definitionHash}`;
}

/**
 * Creates the aggregate without data (the refresh policy backfills it) and marks it with its definition. Real-time:
 * materialized_only = false, so the newest buckets are computed from the source at query time.
 */
export function createCandlesSql(schema: string, spec: Pick<CandleSpec, "name" | "query" | "interval" | "definitionHash">): string[] {
  const view = qualified(schema, spec.name);
  return [
    `CREATE MATERIALIZED VIEW ${view}\nWITH (timescaledb.continuous, timescaledb.materialized_only = false) AS\n${spec.query}\nWITH NO DATA`,
    `COMMENT ON VIEW ${view} IS ${literal(candleComment(spec))}`,
  ];
}

export function realTimeSql(schema: string, name: string): string {
  return `ALTER MATERIALIZED VIEW ${qualified(schema, name)} SET (timescaledb.materialized_only = false)`;
}

export function dropCandlesSql(schema: string, name: string): string {
  return `DROP MATERIALIZED VIEW IF EXISTS ${qualified(schema, name)}`;
}

/** Whether the TimescaleDB version (`2.19.0`) has the batched refresh policy options (2.19.0 and later). */
export function hasBatchedRefresh(version: string): boolean {
  const [major, minor] = version.split(".").map((n) => Number.parseInt(n, 10));
  return major > 2 || (major === 2 && minor >= 19);
}

function refreshOptionsSql(p: CandleRefresh, batched: boolean): string {
  const batches = batched ? `, buckets_per_batch => ${integer(p.bucketsPerBatch)}, max_batches_per_execution => ${integer(p.maxBatchesPerRun)}` : "";
  return `start_offset => ${intervalSql(p.window)}, end_offset => ${intervalSql(p.lag)}, schedule_interval => ${intervalSql(p.every)}${batches}`;
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Not a count: ${n}`);
  return String(n);
}

export function addCandlePolicySql(schema: string, name: string, p: CandlePolicy, batched: boolean): string {
  const rel = literal(qualified(schema, name));
  if (p.kind === "retention") return `SELECT add_retention_policy(${rel}, drop_after => ${intervalSql(p.after)}, if_not_exists => TRUE)`;
  return `SELECT add_continuous_aggregate_policy(${rel}, ${refreshOptionsSql(p, batched)})`;
}

export function removeCandlePolicySql(schema: string, name: string, kind: CandlePolicy["kind"]): string {
  const rel = literal(qualified(schema, name));
  return kind === "retention" ? `SELECT remove_retention_policy(${rel}, if_exists => TRUE)` : `SELECT remove_continuous_aggregate_policy(${rel}, if_exists => TRUE)`;
}

/** A candle policy job as read from timescaledb_information.jobs: its settings in seconds (and batch counts). */
export interface LiveCandlePolicy {
  readonly jobId: number;
  readonly scheduleSeconds: number;
  readonly startSeconds?: number;
  readonly endSeconds?: number;
  readonly dropAfterSeconds?: number;
  readonly bucketsPerBatch?: number;
  readonly maxBatchesPerRun?: number;
}

/**
 * The plan from a live policy job (or none) to the model: add it, change it in place (alter_job: its schedule and
 * the config keys the model sets, keeping the job and its statistics), or nothing. Batch settings are compared and
 * set only where the server has them.
 */
export function planCandlePolicy(schema: string, name: string, p: CandlePolicy, live: LiveCandlePolicy | undefined, batched: boolean): string[] {
  if (!live) return [addCandlePolicySql(schema, name, p, batched)];
  if (!Number.isSafeInteger(live.jobId)) throw new Error(`Not a job id: ${live.jobId}`);
  if (p.kind === "retention") {
    if (live.dropAfterSeconds === seconds(p.after)) return [];
    return [`SELECT alter_job(${live.jobId}, config => jsonb_set(j.config, '{drop_after}', to_jsonb(${literal(parseInterval(p.after)!.text)}::text))) FROM timescaledb_information.jobs j WHERE j.job_id = ${live.jobId}`];
  }
  const same =
    live.startSeconds === seconds(p.window) &&
    live.endSeconds === seconds(p.lag) &&
    live.scheduleSeconds === seconds(p.every) &&
    (!batched || (live.bucketsPerBatch === p.bucketsPerBatch && live.maxBatchesPerRun === p.maxBatchesPerRun));
  if (same) return [];
  const keys = [`'start_offset', ${literal(p.window)}::text`, `'end_offset', ${literal(p.lag)}::text`];
  if (batched) keys.push(`'buckets_per_batch', ${integer(p.bucketsPerBatch)}`, `'max_batches_per_execution', ${integer(p.maxBatchesPerRun)}`);
  return [
    `SELECT alter_job(${live.jobId}, schedule_interval => ${intervalSql(p.every)}, config => j.config || jsonb_build_object(${keys.join(", ")})) ` +
      `FROM timescaledb_information.jobs j WHERE j.job_id = ${live.jobId}`,
  ];
}

/** A live aggregate of a candle name, as read from the catalog. */
export interface LiveCandles {
  /** Whether it is a continuous aggregate (not a plain view, table or materialized view). */
  readonly continuous: boolean;
  readonly materializedOnly: boolean;
  readonly comment?: string;
}

export interface CandlesPlan {
  readonly statements: string[];
  readonly refusals: string[];
}

/**
 * The plan from a live aggregate (or none) to the model: create it; switch real-time aggregation back on in place;
 * nothing; or, for an object of that name with another definition, a refusal that says how to replace it by hand (a
 * definition cannot change in place, and re-creating it deletes candles whose rows retention already dropped).
 */
export function planCandles(schema: string, spec: Pick<CandleSpec, "name" | "query" | "interval" | "definitionHash">, live: LiveCandles | undefined): CandlesPlan {
  if (!live) return { statements: createCandlesSql(schema, spec), refusals: [] };
  const name = `${schema}.${spec.name}`;
  if (!live.continuous) return { statements: [], refusals: [`${name} exists but is not a continuous aggregate; drop or rename it, then run again.`] };
  if (live.comment !== candleComment(spec)) {
    return {
      statements: [],
      refusals: [
        `${name} exists with another definition (${live.comment ? `marked "${live.comment}"` : "not made by this program"}, expected "${candleComment(spec)}"); ` +
          `a continuous aggregate's definition cannot change in place, and re-creating it loses the candles whose rows are already dropped. ` +
          `To keep them, ALTER MATERIALIZED VIEW ${qualified(schema, spec.name)} RENAME TO ${ident(`${spec.name}_old`)}; to replace them, ${dropCandlesSql(schema, spec.name)} ` +
          `(and the coarser candles built on it first); or set destroyDeletesData to let pulumi replace it. Then run again (docs/candles.md).`,
      ],
    };
  }
  return { statements: live.materializedOnly ? [realTimeSql(schema, spec.name)] : [], refusals: [] };
}
