/**
 * Storage benchmark: the same day of BTC/USDT ticks in `numeric` storage (the seed's table, as
 * `tableSql` creates it) and in `scaled` storage (components/database/scaled.ts: BIGINT columns behind a view with
 * the seed's name and types), each loaded and queried through the table's interface (the table, or the view).
 *
 *   npm run bench:storage                    # 864,000 rows: one day of 100 ms ticks
 *   npm run bench:storage -- --rows 100000   # fewer
 *   TIMESCALE_URL=postgresql://user:pw@host:5432/db npm run bench:storage   # a real server instead of the embedded one
 *
 * Options: --drift slow|tick (how the 24 h volume and turnover move, see `Drift`; slow), --rows N (864000), --batch N (rows per multi-row INSERT with bind parameters, 200), --single N (rows
 * inserted one statement each, first, 2000), --runs N (OHLC query repetitions, median reported, 5), --keep (leave the
 * two schemas). Without TIMESCALE_URL it starts the embedded engine (PGlite + TimescaleDB,
 * test/support/serve-timescale.ts): a full day takes about 70 s and 2.4 GB of memory there. The embedded engine dies
 * ("RuntimeError: unreachable" in the WebAssembly backend) on a statement of 300 rows x 10 bind parameters (250 works),
 * hence the default batch of 200; a real server takes --batch up to 6553.
 *
 * Compressed sizes are TimescaleDB's own (hypertable_compression_stats: heap, TOAST and indexes of the compressed
 * chunks); the per-column lines are pg_column_size of each column's compressed data, their sum leaves out the
 * compressed rows' metadata and page and TOAST-chunk overhead.
 *
 * Rows are generated from a fixed seed (`tickerRows`): last_price a random walk in 0.01 steps (moving on 60 % of the
 * ticks, 1-3 cents), 24 h high/low/prev drifting slowly (every 5 minutes), volume_24h and turnover_24h moving every
 * tick by the small net of trades entering and leaving the 24 h window (up to 0.02 BTC, in 10^-6 BTC steps),
 * price_24h_pcnt from last and prev, a monotonic cross_sequence (+1..20), usd_index_price within about a dollar of
 * last_price (moving on 80 % of the ticks, in 10^-6 steps). What the codecs achieve depends on that entropy; the
 * per-column lines show where the bytes go.
 * Both storages get the same rows in the same statements, interleaved batch by batch so both see the same engine
 * state. Printed: rows, bytes/row before and after compression, compression ratio, insert rates, OHLC query time;
 * and a check that every row reads back identically through both interfaces.
 */
import { parseArgs } from "node:util";
import type { Client } from "pg";
import { CRYPTO_SCOUT_TABLES, hypertableSpec } from "../components/database/model";
import { createExtensionSql, createSchemaSql, ident, literal, qualified, tableSql } from "../components/database/sql";
import { createScaledStorageSql, storageTableName } from "../components/database/scaled";
import { withClient, type Connection } from "../components/database/providers/live";
import { onBenchServer, runBenchMain, timeQuery } from "./bench-server";

const TABLE = CRYPTO_SCOUT_TABLES.find((t) => t.name === "bybit_spot_tickers_btc_usdt")!;
export const COLUMNS = ["timestamp", "cross_sequence", "last_price", "high_price_24h", "low_price_24h", "prev_price_24h", "volume_24h", "turnover_24h", "price_24h_pcnt", "usd_index_price"];
export const DAY_START = Date.UTC(2024, 0, 15);

type Row = string[];

/** mulberry32: a small deterministic PRNG, so every run loads the same rows. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer count of 10^-scale units as decimal text: (6000012, 2) -> "60000.12". */
function units(n: bigint, scale: number): string {
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/**
 * How the 24 h volume and turnover move. `slow` (the default, the issue's "slowly drifting 24 h figures"): the net
 * flow of trades entering and leaving the window changes slowly, so each tick moves them by a smooth amount plus a
 * little noise. `tick`: an independent random net of up to ±0.02 BTC every tick (busy market, every tick its own
 * trades): close to incompressible for any codec, so it shows the floor.
 */
export type Drift = "slow" | "tick";

/** One day of 100 ms ticks (or `count` of them), as the collector would insert them: text values in column order. */
export function tickerRows(count: number, drift: Drift = "slow"): Row[] {
  const rnd = random(11);
  const rows: Row[] = [];
  let last = 6_000_000n; // cents
  let prev = 5_950_000n;
  let high = 6_050_000n;
  let low = 5_900_000n;
  let volume = 1_234_567_890_123n; // 10^-8 BTC: 12345.67890123
  let turnover = 740_000_000_0000n; // 10^-4 USDT
  let sequence = 31_000_000_000n;
  let indexOffset = 0n; // usd_index_price - last_price, 10^-6
  let flow = 0; // slow drift: net BTC per tick in 10^-8, itself a slow random walk
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.3) last += BigInt(1 + Math.floor(rnd() * 3));
    else if (r < 0.6) last -= BigInt(1 + Math.floor(rnd() * 3));
    if (last > high) high = last;
    if (last < low) low = last;
    if (i % 3000 === 0) {
      // The 24 h window slides: prev, high and low drift slowly.
      prev += BigInt(Math.round((rnd() - 0.5) * 2000));
      if (high > last + 1000n) high -= BigInt(Math.floor(rnd() * 300));
      if (low < last - 1000n) low += BigInt(Math.floor(rnd() * 300));
    }
    // Every 100 ms trades enter the 24 h window and older ones leave it (BTC/USDT trades several times a second):
    // volume and turnover drift by small amounts, in 10^-6 BTC steps.
    let net: bigint;
    if (drift === "tick") {
      net = BigInt(Math.floor(rnd() ** 2 * 20_000)) * 100n - BigInt(Math.floor(rnd() ** 2 * 19_000)) * 100n; // up to ±0.02 BTC
    } else {
      // The window's net flow changes by at most 10^-6 BTC per tick and stays within ±0.005 BTC per tick.
      flow = Math.max(-500_000, Math.min(500_000, flow + Math.round((rnd() - 0.5) * 200)));
      net = BigInt(flow) + BigInt(Math.floor((rnd() - 0.5) * 4)) * 100n;
    }
    volume += net;
    turnover += (net * last) / 1_000_000n; // 10^-8 BTC * 10^-2 USDT -> 10^-4 USDT
    if (rnd() < 0.8) {
      // The index (a basket of exchanges) follows last_price within about a dollar, in 10^-6 steps.
      indexOffset += BigInt(Math.floor((rnd() - 0.5) * 20_000));
      if (indexOffset > 1_000_000n || indexOffset < -1_000_000n) indexOffset /= 2n;
    }
    sequence += BigInt(1 + Math.floor(rnd() * 20));
    const pcnt = ((last - prev) * 10_000n) / prev; // 10^-4
    const index = last * 10_000n + indexOffset;
    rows.push([
      new Date(DAY_START + i * 100).toISOString(),
      sequence.toString(),
      units(last, 2),
      units(high, 2),
      units(low, 2),
      units(prev, 2),
      units(volume, 8),
      units(turnover, 4),
      units(pcnt, 4),
      units(index, 6),
    ]);
  }
  return rows;
}

export function insertSql(schema: string, rowCount: number): string {
  const values: string[] = [];
  for (let r = 0; r < rowCount; r++) values.push(`(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(", ")})`);
  return `INSERT INTO ${qualified(schema, TABLE.name)} (${COLUMNS.map(ident).join(", ")}) VALUES ${values.join(", ")}`;
}

interface Storage {
  readonly kind: "numeric" | "scaled";
  readonly schema: string;
  /** The hypertable that holds the rows (policies, sizes, compression). */
  readonly hypertable: string;
  insertMs: number;
  singleMs: number;
}

function ohlcSql(schema: string): string {
  return (
    `SELECT time_bucket('1 minute', "timestamp") AS bucket, first(last_price, "timestamp") AS open, max(last_price) AS high, ` +
    `min(last_price) AS low, last(last_price, "timestamp") AS close, sum(volume_24h) AS v FROM ${qualified(schema, TABLE.name)} GROUP BY 1 ORDER BY 1`
  );
}

/**
 * The same OHLC on the physical table of scaled storage: aggregate the integers, convert each result once. Exact and
 * equal to `ohlcSql` (max/min/first/last commute with the exact, increasing conversion; a sum of exact values is the
 * exact sum), for analysts who query large ranges (docs/storage.md).
 */
function ohlcOnStorageSql(schema: string): string {
  const price = (e: string) => `(${e} * 0.01)::NUMERIC(20,2)`;
  return (
    `SELECT time_bucket('1 minute', "timestamp") AS bucket, ${price(`first(last_price, "timestamp")`)} AS open, ${price("max(last_price)")} AS high, ` +
    `${price("min(last_price)")} AS low, ${price(`last(last_price, "timestamp")`)} AS close, sum(volume_24h) * 0.00000001 AS v ` +
    `FROM ${qualified(schema, storageTableName(TABLE.name))} GROUP BY 1 ORDER BY 1`
  );
}

async function sizes(c: Client, s: Storage): Promise<{ total: number; table: number; index: number; toast: number }> {
  const [r] = (await c.query(`SELECT table_bytes, index_bytes, toast_bytes, total_bytes FROM hypertable_detailed_size(${literal(qualified(s.schema, s.hypertable))})`)).rows;
  return { total: Number(r.total_bytes), table: Number(r.table_bytes), index: Number(r.index_bytes), toast: Number(r.toast_bytes) };
}

async function compressionStats(c: Client, s: Storage): Promise<Record<string, number>> {
  const [r] = (await c.query(`SELECT * FROM hypertable_compression_stats(${literal(qualified(s.schema, s.hypertable))})`)).rows;
  return Object.fromEntries(Object.entries(r).filter(([k]) => k !== "node_name").map(([k, v]) => [k, Number(v)]));
}

/** How many of the storage's chunks are compressed (chunk_compression_stats). */
async function chunkStats(c: Client, s: Storage): Promise<number> {
  const rows = (await c.query(`SELECT count(*) AS n FROM chunk_compression_stats(${literal(qualified(s.schema, s.hypertable))}) WHERE compression_status = 'Compressed'`)).rows;
  return Number(rows[0].n);
}

/** Bytes per column in the compressed chunks (what the codecs achieve per column), summed over the chunks. */
async function columnBytes(c: Client, s: Storage): Promise<Record<string, number>> {
  const chunks = (
    await c.query(
      `SELECT format('%I.%I', cc.schema_name, cc.table_name) AS rel FROM _timescaledb_catalog.chunk ch
         JOIN _timescaledb_catalog.chunk cc ON cc.id = ch.compressed_chunk_id
         JOIN _timescaledb_catalog.hypertable h ON h.id = ch.hypertable_id
        WHERE h.schema_name = $1 AND h.table_name = $2`,
      [s.schema, s.hypertable],
    )
  ).rows.map((r) => r.rel as string);
  const out: Record<string, number> = {};
  for (const column of ["id", ...COLUMNS]) {
    let total = 0;
    for (const rel of chunks) total += Number((await c.query(`SELECT COALESCE(sum(pg_column_size(${ident(column)})), 0) AS b FROM ${rel}`)).rows[0].b);
    out[column] = total;
  }
  return out;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

async function run(conn: Connection, options: { rows: number; batch: number; single: number; runs: number; keep: boolean; drift: Drift }, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const rows = tickerRows(options.rows, options.drift);
  log(`generated ${rows.length} rows (${rows[0][0]} .. ${rows[rows.length - 1][0]}; 24 h volume and turnover drift: ${options.drift}) in ${Math.round(performance.now() - started)} ms`);
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const storages: Storage[] = [
    { kind: "numeric", schema: `bench_numeric_${suffix}`, hypertable: TABLE.name, insertMs: 0, singleMs: 0 },
    { kind: "scaled", schema: `bench_scaled_${suffix}`, hypertable: storageTableName(TABLE.name), insertMs: 0, singleMs: 0 },
  ];
  await withClient(conn, async (c) => {
    try {
      await c.query(createExtensionSql());
      for (const s of storages) {
        await c.query(createSchemaSql(s.schema));
        const statements = s.kind === "numeric" ? tableSql(s.schema, hypertableSpec(TABLE)) : createScaledStorageSql(s.schema, hypertableSpec(TABLE));
        for (const sql of statements) await c.query(sql);
      }

      // Single-row INSERTs (the collector's statement with one row), interleaved row by row.
      const single = Math.min(options.single, rows.length);
      const singleSql = storages.map((s) => insertSql(s.schema, 1));
      for (let i = 0; i < single; i++) {
        for (const [k, s] of storages.entries()) {
          const t0 = performance.now();
          await c.query({ name: `single_${s.schema}`, text: singleSql[k], values: rows[i] });
          s.singleMs += performance.now() - t0;
        }
      }

      // Multi-row INSERTs of `batch` rows, interleaved batch by batch.
      for (let i = single; i < rows.length; i += options.batch) {
        const chunk = rows.slice(i, i + options.batch);
        const values = chunk.flat();
        for (const s of storages) {
          const t0 = performance.now();
          await c.query({ name: chunk.length === options.batch ? `batch_${s.schema}` : undefined, text: insertSql(s.schema, chunk.length), values });
          s.insertMs += performance.now() - t0;
        }
        if (((i - single) / options.batch) % 100 === 99) log(`  loaded ${i + chunk.length} rows`);
      }
      log(`loaded ${rows.length} rows into both storages in ${Math.round(performance.now() - started)} ms`);

      // Same rows through both interfaces: an exact, order-independent comparison.
      const rowText = `concat_ws('|', id, ${COLUMNS.map(ident).join(", ")})`;
      const digest = `SELECT count(*) AS n, bit_xor(hashtextextended(${rowText}, 0)) AS h, sum(last_price + volume_24h + turnover_24h + price_24h_pcnt + usd_index_price) AS s FROM `;
      const digests = [];
      for (const s of storages) digests.push((await c.query(`${digest}${qualified(s.schema, TABLE.name)}`)).rows[0]);
      const identical = JSON.stringify(digests[0]) === JSON.stringify(digests[1]);
      if (!identical) throw new Error(`the two storages read back differently: ${JSON.stringify(digests)}`);

      const ohlc: Record<string, { ms: number; rows: unknown[] }>[] = [{}, {}];
      const before: Awaited<ReturnType<typeof sizes>>[] = [];
      for (const [k, s] of storages.entries()) {
        await c.query(`ANALYZE ${qualified(s.schema, s.hypertable)}`);
        before.push(await sizes(c, s));
        ohlc[k].uncompressed = await timeQuery(c, ohlcSql(s.schema), options.runs);
      }
      const compressMs: number[] = [];
      const after: Awaited<ReturnType<typeof sizes>>[] = [];
      const stats: Record<string, number>[] = [];
      const chunks: number[] = [];
      const perColumn: Record<string, number>[] = [];
      for (const s of storages) {
        const t0 = performance.now();
        await c.query(`SELECT compress_chunk(ch, if_not_compressed => TRUE) FROM show_chunks(${literal(qualified(s.schema, s.hypertable))}) ch`);
        compressMs.push(performance.now() - t0);
        await c.query(`ANALYZE ${qualified(s.schema, s.hypertable)}`);
        after.push(await sizes(c, s));
        stats.push(await compressionStats(c, s));
        chunks.push(await chunkStats(c, s));
        perColumn.push(await columnBytes(c, s));
      }
      for (const [k, s] of storages.entries()) ohlc[k].compressed = await timeQuery(c, ohlcSql(s.schema), options.runs);
      ohlc[1].storage = await timeQuery(c, ohlcOnStorageSql(storages[1].schema), options.runs);
      for (const phase of ["uncompressed", "compressed"]) {
        if (JSON.stringify(ohlc[0][phase].rows) !== JSON.stringify(ohlc[1][phase].rows)) throw new Error(`OHLC results differ (${phase})`);
      }
      if (JSON.stringify(ohlc[0].compressed.rows) !== JSON.stringify(ohlc[1].storage.rows)) throw new Error("OHLC on the physical table differs from OHLC through the view");

      const n = rows.length;
      const perRow = (bytes: number) => (bytes / n).toFixed(1);
      const rate = (count: number, ms: number) => (ms > 0 ? Math.round((count * 1000) / ms).toLocaleString("en-US") : "-");
      const table: [string, string, string, string][] = [
        ["", "numeric", "scaled", "scaled/numeric"],
        ["rows", String(n), String(n), ""],
        ["chunks compressed", String(chunks[0]), String(chunks[1]), ""],
        ["bytes/row uncompressed (table+index+toast)", perRow(before[0].total), perRow(before[1].total), (before[1].total / before[0].total).toFixed(2)],
        ["  of which heap", perRow(before[0].table), perRow(before[1].table), (before[1].table / before[0].table).toFixed(2)],
        ["bytes/row compressed (total)", perRow(stats[0].after_compression_total_bytes), perRow(stats[1].after_compression_total_bytes), (stats[1].after_compression_total_bytes / stats[0].after_compression_total_bytes).toFixed(2)],
        ["  of which heap+toast (compressed data)", perRow(stats[0].after_compression_table_bytes + stats[0].after_compression_toast_bytes), perRow(stats[1].after_compression_table_bytes + stats[1].after_compression_toast_bytes), ""],
        ["hypertable_detailed_size after, bytes/row", perRow(after[0].total), perRow(after[1].total), ""],
        ["compression ratio (before/after total)", (stats[0].before_compression_total_bytes / stats[0].after_compression_total_bytes).toFixed(1), (stats[1].before_compression_total_bytes / stats[1].after_compression_total_bytes).toFixed(1), ""],
        [`multi-row INSERT rows/s (${options.batch} per statement)`, rate(n - single, storages[0].insertMs), rate(n - single, storages[1].insertMs), (storages[0].insertMs / storages[1].insertMs).toFixed(2)],
        ["single-row INSERT rows/s", rate(single, storages[0].singleMs), rate(single, storages[1].singleMs), single > 0 ? (storages[0].singleMs / storages[1].singleMs).toFixed(2) : ""],
        ["compress_chunk, ms", compressMs[0].toFixed(0), compressMs[1].toFixed(0), ""],
        [`1-minute OHLC, uncompressed, ms (median of ${options.runs})`, ohlc[0].uncompressed.ms.toFixed(1), ohlc[1].uncompressed.ms.toFixed(1), (ohlc[1].uncompressed.ms / ohlc[0].uncompressed.ms).toFixed(2)],
        [`1-minute OHLC, compressed, ms (median of ${options.runs})`, ohlc[0].compressed.ms.toFixed(1), ohlc[1].compressed.ms.toFixed(1), (ohlc[1].compressed.ms / ohlc[0].compressed.ms).toFixed(2)],
        ["  same OHLC on <table>_scaled, converted after", "", ohlc[1].storage.ms.toFixed(1), (ohlc[1].storage.ms / ohlc[0].compressed.ms).toFixed(2)],
      ];
      const columnTotal = perColumn.map((p) => Object.values(p).reduce((a, b) => a + b, 0));
      table.push(["compressed bytes/row per column (sum):", perRow(columnTotal[0]), perRow(columnTotal[1]), (columnTotal[1] / columnTotal[0]).toFixed(2)]);
      for (const column of Object.keys(perColumn[0])) {
        table.push([`  ${column}`, perRow(perColumn[0][column]), perRow(perColumn[1][column]), ""]);
      }
      const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((r) => r[i].length)));
      log("");
      for (const r of table) log(`${r[0].padEnd(widths[0])}  ${pad(r[1], widths[1])}  ${pad(r[2], widths[2])}  ${pad(r[3], widths[3])}`);
      log("");
      log(`rows identical through both interfaces (count, xor of row hashes and column sums equal); OHLC results identical (${ohlc[0].compressed.rows.length} buckets)`);
      log("insert rates: scaled/numeric columns are rate ratios (> 1: scaled faster); query times: < 1: scaled faster");
      const scaledBytes = stats[1].after_compression_total_bytes / n;
      const multi = storages[0].insertMs / storages[1].insertMs;
      const singleRatio = single > 0 ? storages[0].singleMs / storages[1].singleMs : multi;
      const ohlcRatio = ohlc[1].compressed.ms / ohlc[0].compressed.ms;
      log(
        "targets: " +
          [
            `compressed <= 12 B/row: ${scaledBytes <= 12 ? "met" : "NOT met"} (${scaledBytes.toFixed(1)})`,
            `inserts through the view >= 0.90 of the table's: ${Math.min(multi, singleRatio) >= 0.9 ? "met" : "NOT met"} (${multi.toFixed(2)} multi-row, ${singleRatio.toFixed(2)} single-row)`,
            `OHLC through the view no slower: ${ohlcRatio <= 1 ? "met" : "NOT met"} (${ohlcRatio.toFixed(2)}x; docs/storage.md says why)`,
          ].join("; "),
      );
      log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      if (!options.keep) for (const s of storages) await c.query(`DROP SCHEMA IF EXISTS ${ident(s.schema)} CASCADE`).catch(() => undefined);
    }
  }, 60_000);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: "string", default: "864000" },
      batch: { type: "string", default: "200" },
      single: { type: "string", default: "2000" },
      runs: { type: "string", default: "5" },
      keep: { type: "boolean", default: false },
      drift: { type: "string", default: "slow" },
    },
  });
  if (values.drift !== "slow" && values.drift !== "tick") throw new Error(`--drift must be slow or tick, got ${values.drift}`);
  const int = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
    return n;
  };
  const options = {
    rows: int("rows", values.rows!, 1),
    batch: int("batch", values.batch!, 1),
    single: int("single", values.single!, 0),
    runs: int("runs", values.runs!, 1),
    keep: !!values.keep,
    drift: values.drift as Drift,
  };
  // 65535 bind parameters per statement at most.
  if (options.batch * COLUMNS.length > 65535) throw new Error(`--batch must be at most ${Math.floor(65535 / COLUMNS.length)}`);
  const log = (line: string) => console.log(line);
  await onBenchServer(log, (connection) => run(connection, options, log));
  return 0;
}

if (require.main === module) {
  runBenchMain("bench-storage", main);
}
