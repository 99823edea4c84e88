/**
 * Candles benchmark (docs/candles.md): one day of 100 ms BTC/USDT ticks (scripts/bench-storage.ts's generator) in
 * numeric and in scaled storage, compressed, with the 1m/1h/1d candles of each (components/database/candles.ts)
 * materialized; printed side by side: a day of 1-minute candles from the aggregate against the raw OHLC on the
 * NUMERIC table and through the scaled view, the materialization's size, and the time to refresh the day.
 *
 *   npm run bench:candles                    # 864,000 rows: one day of 100 ms ticks
 *   npm run bench:candles -- --rows 100000   # fewer
 *   TIMESCALE_URL=postgresql://user:pw@host:5432/db npm run bench:candles   # a real server instead of the embedded one
 *
 * Options: --rows N (864000), --batch N (rows per multi-row INSERT, 200; the embedded engine fails at 300),
 * --runs N (query repetitions, median reported, 5), --keep (leave the two schemas). The generated day is in the past,
 * outside the policies' windows, so it is materialized with refresh_continuous_aggregate over the day, as the runbook's
 * backfill does; the policies are created paused.
 */
import { parseArgs } from "node:util";
import type { Client } from "pg";
import { CRYPTO_SCOUT_TABLES, hypertableSpec, type TableSpec } from "../components/database/model";
import { createExtensionSql, createSchemaSql, ident, literal, qualified, tableSql } from "../components/database/sql";
import { createScaledStorageSql, storageTableName } from "../components/database/scaled";
import { candleSpecs, type CandleSpec } from "../components/database/candles";
import { applyCandles } from "../components/database/providers/candles";
import { withClient, type Connection } from "../components/database/providers/live";
import { onBenchServer, runBenchMain, timeQuery } from "./bench-server";
import { DAY_START, insertSql, tickerRows } from "./bench-storage";

const TABLE = CRYPTO_SCOUT_TABLES.find((t) => t.name === "bybit_spot_tickers_btc_usdt")!;

interface Storage {
  readonly kind: "numeric" | "scaled";
  readonly schema: string;
  readonly table: TableSpec;
  readonly hypertable: string;
  readonly candles: CandleSpec[];
  refreshMs: number[];
}

const DAY = `'${new Date(DAY_START).toISOString()}'::timestamptz`;
const NEXT_DAY = `'${new Date(DAY_START + 86_400_000).toISOString()}'::timestamptz`;

/** The analyst's raw OHLC for the day through the table's interface (the table, or the scaled view). */
function rawSql(schema: string): string {
  return (
    `SELECT time_bucket('1 minute', "timestamp") AS bucket, first(last_price, "timestamp") AS open, max(last_price) AS high, min(last_price) AS low, ` +
    `last(last_price, "timestamp") AS close, last(volume_24h, "timestamp") AS volume_24h, last(turnover_24h, "timestamp") AS turnover_24h, count(*) AS ticks ` +
    `FROM ${qualified(schema, TABLE.name)} WHERE "timestamp" >= ${DAY} AND "timestamp" < ${NEXT_DAY} GROUP BY 1 ORDER BY 1`
  );
}

function candlesSql(schema: string, name: string): string {
  return `SELECT bucket, open, high, low, close, volume_24h, turnover_24h, ticks FROM ${qualified(schema, name)} WHERE bucket >= ${DAY} AND bucket < ${NEXT_DAY} ORDER BY bucket`;
}

/** Bytes of an aggregate's materialization hypertable (heap, indexes, TOAST). */
async function materializedBytes(c: Client, schema: string, name: string): Promise<number> {
  const [r] = (
    await c.query(
      `SELECT (SELECT total_bytes FROM hypertable_detailed_size(format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass)) AS b
         FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 AND view_name = $2`,
      [schema, name],
    )
  ).rows;
  return Number(r.b);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

async function run(conn: Connection, options: { rows: number; batch: number; runs: number; keep: boolean }, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const rows = tickerRows(options.rows);
  log(`generated ${rows.length} rows (${rows[0][0]} .. ${rows[rows.length - 1][0]})`);
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const storages: Storage[] = (["numeric", "scaled"] as const).map((kind) => {
    const schema = `bench_candles_${kind}_${suffix}`;
    const table: TableSpec = { ...TABLE, storage: kind };
    return { kind, schema, table, hypertable: kind === "scaled" ? storageTableName(TABLE.name) : TABLE.name, candles: candleSpecs(schema, table), refreshMs: [] };
  });
  await withClient(
    conn,
    async (c) => {
      try {
        await c.query(createExtensionSql());
        for (const s of storages) {
          await c.query(createSchemaSql(s.schema));
          const statements = s.kind === "numeric" ? tableSql(s.schema, hypertableSpec(s.table)) : createScaledStorageSql(s.schema, hypertableSpec(s.table));
          for (const sql of statements) await c.query(sql);
        }
        for (let i = 0; i < rows.length; i += options.batch) {
          const chunk = rows.slice(i, i + options.batch);
          for (const s of storages) await c.query({ name: chunk.length === options.batch ? `batch_${s.schema}` : undefined, text: insertSql(s.schema, chunk.length), values: chunk.flat() });
        }
        log(`loaded both storages in ${Math.round(performance.now() - started)} ms`);
        for (const s of storages) {
          await c.query(`SELECT compress_chunk(ch, if_not_compressed => TRUE) FROM show_chunks(${literal(qualified(s.schema, s.hypertable))}) ch`);
          await c.query(`ANALYZE ${qualified(s.schema, s.hypertable)}`);
        }
        // Candles: created without data, then the day refreshed level by level (finest first), timed.
        for (const s of storages) {
          for (const spec of s.candles) {
            await applyCandles(c, s.schema, spec);
            const t0 = performance.now();
            await c.query(`CALL refresh_continuous_aggregate(${literal(qualified(s.schema, spec.name))}, ${DAY}, ${NEXT_DAY})`);
            s.refreshMs.push(performance.now() - t0);
          }
        }
        const raw: { ms: number; rows: unknown[] }[] = [];
        const agg: { ms: number; rows: unknown[] }[] = [];
        for (const s of storages) {
          raw.push(await timeQuery(c, rawSql(s.schema), options.runs));
          agg.push(await timeQuery(c, candlesSql(s.schema, s.candles[0].name), options.runs));
        }
        const same = (a: unknown[], b: unknown[]) => JSON.stringify(a) === JSON.stringify(b);
        const equal = same(raw[0].rows, raw[1].rows) && same(raw[0].rows, agg[0].rows) && same(raw[0].rows, agg[1].rows);
        if (!equal) throw new Error("the candles differ from the raw OHLC (or the storages differ)");
        const hourSql = (s: Storage) => candlesSql(s.schema, s.candles[1].name);
        const hours: { ms: number; rows: unknown[] }[] = [];
        for (const s of storages) hours.push(await timeQuery(c, hourSql(s), options.runs));
        const bytes: number[][] = [];
        for (const s of storages) {
          const perLevel: number[] = [];
          for (const spec of s.candles) perLevel.push(await materializedBytes(c, s.schema, spec.name));
          bytes.push(perLevel);
        }
        const ms = (x: number) => x.toFixed(1);
        const count = async (s: Storage, i: number) => Number((await c.query(`SELECT count(*) AS n FROM (${candlesSql(s.schema, s.candles[i].name)}) q`)).rows[0].n);
        const counts = [await count(storages[0], 0), await count(storages[0], 1), await count(storages[0], 2)];
        const kb = (b: number) => `${(b / 1024).toFixed(0)} kB`;
        const table: [string, string, string][] = [
          ["", "numeric", "scaled"],
          ["rows", String(rows.length), String(rows.length)],
          [`raw 1-minute OHLC of the day, ms (median of ${options.runs})`, ms(raw[0].ms), ms(raw[1].ms)],
          ["1-minute candles of the day from the 1m aggregate, ms", ms(agg[0].ms), ms(agg[1].ms)],
          ["  speed-up against the raw OHLC on the NUMERIC table", `${(raw[0].ms / agg[0].ms).toFixed(0)}x`, `${(raw[0].ms / agg[1].ms).toFixed(0)}x`],
          ["  speed-up against the raw OHLC through the table's interface", `${(raw[0].ms / agg[0].ms).toFixed(0)}x`, `${(raw[1].ms / agg[1].ms).toFixed(0)}x`],
          [`${counts[1]} 1-hour candles of the day, ms`, ms(hours[0].ms), ms(hours[1].ms)],
          ["refresh of the day, 1m candles, ms", ms(storages[0].refreshMs[0]), ms(storages[1].refreshMs[0])],
          ["refresh of the day, 1h candles (on 1m), ms", ms(storages[0].refreshMs[1]), ms(storages[1].refreshMs[1])],
          ["refresh of the day, 1d candles (on 1h), ms", ms(storages[0].refreshMs[2]), ms(storages[1].refreshMs[2])],
          [`materialization of the day, 1m (${counts[0]} candles)`, kb(bytes[0][0]), kb(bytes[1][0])],
          [`materialization of the day, 1h (${counts[1]} candles)`, kb(bytes[0][1]), kb(bytes[1][1])],
          [`materialization of the day, 1d (${counts[2]} candle${counts[2] === 1 ? "" : "s"})`, kb(bytes[0][2]), kb(bytes[1][2])],
        ];
        const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => r[i].length)));
        log("");
        for (const r of table) log(`${r[0].padEnd(widths[0])}  ${pad(r[1], widths[1])}  ${pad(r[2], widths[2])}`);
        log("");
        log(`results equal: the ${agg[0].rows.length} 1-minute candles of both storages equal the raw OHLC of both, candle by candle`);
        const speedups = agg.map((a) => raw[0].ms / a.ms);
        log(
          "targets: " +
            [
              `a day of 1-minute candles at least 50x faster than the raw OHLC on the NUMERIC table: ${speedups.every((x) => x >= 50) ? "met" : "NOT met"} (${speedups.map((x) => `${x.toFixed(0)}x`).join(" numeric, ")} scaled)`,
              `equal results: met`,
            ].join("; "),
        );
        log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        if (!options.keep) for (const s of storages) await c.query(`DROP SCHEMA IF EXISTS ${ident(s.schema)} CASCADE`).catch(() => undefined);
      }
    },
    60_000,
  );
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: "string", default: "864000" },
      batch: { type: "string", default: "200" },
      runs: { type: "string", default: "5" },
      keep: { type: "boolean", default: false },
    },
  });
  const int = (name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${text}`);
    return n;
  };
  // The generator's day has 864,000 ticks; 65535 bind parameters per statement at most.
  const options = { rows: int("rows", values.rows!, 1440, 864_000), batch: int("batch", values.batch!, 1, 6553), runs: int("runs", values.runs!, 1), keep: !!values.keep };
  const log = (line: string) => console.log(line);
  await onBenchServer(log, (connection) => run(connection, options, log));
  return 0;
}

if (require.main === module) {
  runBenchMain("bench-candles", main);
}
