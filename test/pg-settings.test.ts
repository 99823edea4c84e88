/**
 * components/tuning/pg-settings.ts (settingProblem) and its generated data: PostgreSQL's rules for `-c name=value`,
 * checked against the engines themselves:
 *   - PostgreSQL 17 (PGlite, opened once): the committed data must equal pg_settings (so it cannot drift from the
 *     engine), and settingProblem must accept and refuse exactly what the engine does for a sample of values
 *     (set_config for user/superuser settings, ALTER SYSTEM, which runs the same parse and check, for the others).
 *   - PostgreSQL 15 (Debian's server build, where installed, as on the project's machines): the same sample through
 *     the real command line, `postgres -C name -c name=value`.
 * The known differences between PGlite (32-bit WebAssembly) and the image's 64-bit server build are asserted too.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { escapeIdentifier, escapeLiteral } from "pg";
import { PG_SETTINGS, settingProblem, type PgSettingSpec } from "../components/tuning/pg-settings";
import { SEED_ORDER, SUPPORTED_MAJORS } from "../components/tuning";
import { loadStackDefinition } from "../components/config/stack";
import { stackConfigSource } from "../components/config/stack-files";
import {
  SETTINGS_QUERY,
  isTimescaledbName,
  openProjectPglite,
  pgliteQuery,
  readEngineSettings,
  specFromRow,
  type EngineRow,
  type PgliteLike,
} from "../scripts/generate-pg-settings";
import { SEED_FLAGS } from "./support/seed";

const ok = (major: number, name: string, value: string) => assert.equal(settingProblem(major, name, value), undefined, `${name}=${value} on ${major}`);
const bad = (major: number, name: string, value: string, expected: string | RegExp) => {
  const problem = settingProblem(major, name, value);
  assert.ok(problem !== undefined, `${name}=${value} on ${major} should be refused`);
  if (typeof expected === "string") assert.equal(problem, expected);
  else assert.match(problem, expected);
};

describe("pg-settings: settingProblem", () => {
  describe("names", () => {
    it("refuses unknown names with the closest setting", () => {
      bad(17, "shared_bufers", "1GB", 'unknown setting "shared_bufers" (did you mean shared_buffers?)');
      bad(17, "maintenance_workmem", "1GB", 'unknown setting "maintenance_workmem" (did you mean maintenance_work_mem?)');
      bad(17, "wal_levle", "replica", /did you mean wal_level\?/);
      bad(17, "frobnicate", "1", 'unknown setting "frobnicate"');
    });
    it("matches names case-insensitively, with - for _ and the old aliases, as find_option does", () => {
      ok(17, "TimeZone", "UTC");
      ok(17, "timezone", "UTC");
      ok(17, "Shared_Buffers", "1GB");
      ok(17, "work-mem", "4MB");
      ok(17, "sort_mem", "4MB"); // map_old_guc_names → work_mem
      bad(17, "sort_mem", "1kB", "sort_mem (work_mem): 1kB is below the minimum 64kB");
    });
    it("refuses internal (read-only) settings", () => {
      bad(17, "block_size", "8192", "block_size cannot be set: it is a read-only setting the server reports");
      bad(16, "server_version", "16.0", /cannot be set/);
      bad(15, "wal_segment_size", "16MB", /cannot be set/);
    });
    it("knows which major has which setting", () => {
      ok(17, "summarize_wal", "on");
      bad(15, "summarize_wal", "on", 'unknown setting "summarize_wal" in PostgreSQL 15 (it exists in 17)');
      bad(16, "transaction_timeout", "1min", /in PostgreSQL 16 \(it exists in 17\)/);
      ok(16, "vacuum_buffer_usage_limit", "256kB");
      bad(15, "vacuum_buffer_usage_limit", "256kB", /it exists in 16 and 17/);
      ok(15, "force_parallel_mode", "on");
      bad(16, "force_parallel_mode", "on", /it exists in 15; PostgreSQL 16 renamed it debug_parallel_query/);
      ok(16, "old_snapshot_threshold", "-1");
      bad(17, "old_snapshot_threshold", "-1", /it exists in 15 and 16/);
      bad(14, "work_mem", "4MB", /PostgreSQL 14 is not supported/);
    });
    it("accepts other extensions' placeholders, as PostgreSQL does, but not a misspelt TimescaleDB prefix", () => {
      ok(17, "pg_stat_statements.max", "10000");
      ok(17, "auto_explain.log_min_duration", "anything: not checked");
      bad(17, "1pg.max", "1", '"1pg.max" is not a valid setting name');
      bad(17, "timescale.max_background_workers", "8", /"timescale\." is not an extension's prefix \(did you mean timescaledb\.max_background_workers\?\)/);
      bad(17, "timscaledb.telemetry_level", "off", /did you mean timescaledb\.telemetry_level\?/);
    });
    it("refuses unknown timescaledb.* names, which TimescaleDB would silently ignore", () => {
      bad(17, "timescaledb.max_background_worker", "8", 'unknown setting "timescaledb.max_background_worker" (did you mean timescaledb.max_background_workers?)');
      bad(17, "timescaledb.frobnicate", "on", 'unknown setting "timescaledb.frobnicate"');
      ok(17, "timescaledb.max_background_workers", "16");
      ok(17, "timescaledb.bgw_launcher_poll_time", "60000"); // the loader's, absent from PGlite
      bad(17, "timescaledb.bgw_launcher_poll_time", "1min", /takes no unit/); // defined without GUC_UNIT_MS
      ok(16, "timescaledb.enable_cagg_rewrites", "on");
      bad(15, "timescaledb.enable_cagg_rewrites", "on", /it exists in 16 and 17 with the TimescaleDB release of that major/);
      bad(17, "timescaledb.bloom1_column_prefix", "x", /cannot be set/); // PGC_INTERNAL in release builds
      bad(17, "plpgsql.extra_warning", "all", /did you mean plpgsql\.extra_warnings\?/);
      ok(17, "plpgsql.extra_warnings", "all");
    });
  });

  describe("values", () => {
    it("bool: parse_bool's words and unique prefixes", () => {
      for (const v of ["on", "ON", "of", "off", "t", "TRUE", "f", "false", "y", "yes", "n", "no", "1", "0"]) ok(17, "log_checkpoints", v);
      for (const v of ["o", "truex", "10", "", " on", "on ", "enabled"]) {
        bad(17, "log_checkpoints", v, `log_checkpoints: ${JSON.stringify(v)} is not a boolean (on, off, true, false, yes, no, 1, 0)`);
      }
    });
    it("memory: case-sensitive units, rounding, ranges after conversion", () => {
      bad(17, "shared_buffers", "lots", 'shared_buffers: "lots" is not a size such as 2GB');
      bad(17, "work_mem", "16mb", 'work_mem: "16mb" is not a size such as 2GB (units: B, kB, MB, GB, TB; case matters)');
      bad(17, "work_mem", "16 MBs", /not a size/);
      bad(17, "work_mem", "-5", "work_mem: -5 is below the minimum 64kB");
      bad(17, "work_mem", "63kB", "work_mem: 63kB is below the minimum 64kB");
      bad(17, "work_mem", "3000000000", `work_mem: "3000000000" is outside PostgreSQL's integer range`);
      bad(17, "work_mem", "2048TB", /integer range/);
      bad(17, "vacuum_buffer_usage_limit", "32GB", "vacuum_buffer_usage_limit: 32GB is above the maximum 16GB");
      ok(17, "work_mem", "64kB");
      ok(17, "work_mem", " 4 MB ");
      ok(17, "work_mem", "1.5MB"); // 1536kB
      ok(17, "work_mem", "0x400"); // strtol base 0: hex
      bad(17, "work_mem", "010", /010 is below the minimum 64kB/); // octal 8
      ok(17, "work_mem", "1e3");
      ok(17, "maintenance_work_mem", "4GB"); // above PGlite's 32-bit limit, fine on the server
      ok(17, "shared_buffers", "127kB"); // 15.875 blocks → 16
      bad(17, "shared_buffers", "100kB", "shared_buffers: 100kB is below the minimum 128kB"); // 12.5 → rint → 12
      bad(17, "shared_buffers", "8", "shared_buffers: 8 (× 8kB = 64kB) is below the minimum 128kB");
      bad(16, "maintenance_work_mem", "512kB", "maintenance_work_mem: 512kB is below the minimum 1MB"); // 17 lowered it to 64kB
      ok(17, "maintenance_work_mem", "512kB");
    });
    it("time: units us to d, rounding to the next smaller unit, ranges", () => {
      bad(17, "checkpoint_timeout", "soon", 'checkpoint_timeout: "soon" is not a duration such as 15min');
      bad(17, "checkpoint_timeout", "15m", /not a duration such as 15min \(units: us, ms, s, min, h, d; case matters\)/);
      bad(17, "checkpoint_timeout", "2d", "checkpoint_timeout: 2d is above the maximum 1d");
      bad(17, "checkpoint_timeout", "29s", "checkpoint_timeout: 29s is below the minimum 30s");
      ok(17, "checkpoint_timeout", "1d");
      ok(17, "checkpoint_timeout", "0.5h");
      ok(17, "statement_timeout", "500us"); // 0.5ms → rint → 0
      bad(17, "statement_timeout", "30d", /integer range/);
      ok(17, "log_min_duration_statement", "-1");
      bad(17, "log_min_duration_statement", "-2", "log_min_duration_statement: -2 is below the minimum -1");
    });
    it("integer without a unit and real", () => {
      bad(17, "max_connections", "lots", 'max_connections: "lots" is not an integer');
      bad(17, "max_connections", "100MB", 'max_connections: "100MB" is not an integer (this setting takes no unit)');
      ok(17, "max_connections", "100.5"); // strtod, rint → 100
      bad(17, "max_connections", " .5", /not an integer/); // strtol read nothing and stopped at the space
      ok(17, "random_page_cost", "1.1");
      ok(17, "random_page_cost", "0x1p3");
      bad(17, "random_page_cost", "inf", /is above the maximum/);
      bad(17, "random_page_cost", "nan", 'random_page_cost: "nan" is not a number');
      bad(17, "random_page_cost", "-0.1", "random_page_cost: -0.1 is below the minimum 0");
      bad(17, "checkpoint_completion_target", "1.5", "checkpoint_completion_target: 1.5 is above the maximum 1");
      ok(17, "vacuum_cost_delay", "0.5ms");
      bad(17, "vacuum_cost_delay", "1s", "vacuum_cost_delay: 1s is above the maximum 100ms");
    });
    it("enum: case-insensitive, hidden spellings included", () => {
      bad(17, "wal_level", "maximal", 'wal_level: "maximal" is not one of minimal, replica, logical');
      ok(17, "wal_level", "LOGICAL");
      ok(17, "wal_level", "hot_standby"); // hidden, means replica
      bad(17, "wal_level", " replica", /is not one of/);
      ok(17, "synchronous_commit", "yes");
      ok(17, "client_min_messages", "debug");
      ok(17, "wal_compression", "zstd"); // the image's build has zstd; PGlite's has not
      bad(17, "timescaledb.telemetry_level", "on", 'timescaledb.telemetry_level: "on" is not one of off, no_functions, basic');
    });
    it("mirrors the value-only check hooks", () => {
      bad(17, "vacuum_buffer_usage_limit", "64kB", "vacuum_buffer_usage_limit: 64kB is neither 0 nor between 128kB and 16GB");
      ok(17, "vacuum_buffer_usage_limit", "0");
      bad(17, "commit_timestamp_buffers", "24", /is not a multiple of 16 buffers \(128kB\)/);
      ok(17, "commit_timestamp_buffers", "32");
      bad(17, "bonjour", "on", "bonjour: the server is built without Bonjour support");
      ok(17, "bonjour", "off");
    });
  });

  it("accepts every seed flag and every value the tuning produces for the dev and prod stacks, on every major", () => {
    assert.equal(SEED_FLAGS.length, SEED_ORDER.length);
    for (const major of SUPPORTED_MAJORS) {
      for (const flag of SEED_FLAGS) {
        const eq = flag.indexOf("=");
        ok(major, flag.slice(0, eq), flag.slice(eq + 1));
      }
    }
    for (const stack of ["dev", "prod"]) {
      const { settings, tuning } = loadStackDefinition(stackConfigSource(stack));
      assert.ok(tuning.settings.length >= 29);
      for (const major of new Set([settings.postgresMajor, ...SUPPORTED_MAJORS])) {
        for (const s of tuning.settings) assert.equal(settingProblem(major, s.name, s.value), undefined, `${stack}: ${s.name}=${s.value} on ${major}`);
      }
    }
  });

  it("has data for every supported major and is fast enough for preview", () => {
    assert.deepEqual(Object.keys(PG_SETTINGS).map(Number), [...SUPPORTED_MAJORS]);
    settingProblem(17, "shared_buffers", "2GB"); // builds the index
    let t = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) settingProblem(17, "shared_buffers", "2GB");
    const valid = Number(process.hrtime.bigint() - t) / 1000;
    t = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) settingProblem(17, "shared_bufers", "2GB");
    const typo = Number(process.hrtime.bigint() - t) / 10;
    // Generous bounds (CI machines vary): about 2 µs and 0.3 ms here.
    assert.ok(valid < 100_000, `a valid setting took ${valid} ns`);
    assert.ok(typo < 20_000_000, `a misspelt name took ${typo} ns`);
  });
});

/** (name, value) pairs checked on the engines; none depends on how the build differs. */
const SAMPLE: readonly (readonly [string, string])[] = [
  ["work_mem", "64kB"], ["work_mem", "63kB"], ["work_mem", "-5"], ["work_mem", "16mb"], ["work_mem", "1.5MB"], ["work_mem", " 4 MB "],
  ["work_mem", "0x400"], ["work_mem", "010"], ["work_mem", "1e3"], ["work_mem", "3000000000"], ["work_mem", "nan"], ["work_mem", "1GB"],
  ["statement_timeout", "1min"], ["statement_timeout", "1m"], ["statement_timeout", "1.5s"], ["statement_timeout", "500us"],
  ["statement_timeout", "-1"], ["statement_timeout", "30d"],
  ["random_page_cost", "1.1"], ["random_page_cost", "-0.1"], ["random_page_cost", "inf"], ["random_page_cost", "0x1p3"], ["random_page_cost", "abc"],
  ["vacuum_cost_delay", "2ms"], ["vacuum_cost_delay", "100.5"], ["vacuum_cost_delay", "1s"],
  ["enable_seqscan", "of"], ["enable_seqscan", "o"], ["enable_seqscan", "TRUE"], ["enable_seqscan", "10"], ["enable_seqscan", " on"], ["enable_seqscan", "ye"],
  ["client_min_messages", "debug"], ["client_min_messages", "INFO"], ["client_min_messages", "verbose"],
  ["synchronous_commit", "yes"], ["synchronous_commit", "remote_apply"], ["synchronous_commit", "maybe"],
  ["compute_query_id", "regress"], ["compute_query_id", "sometimes"],
  ["log_min_duration_statement", "500ms"], ["log_min_duration_statement", "-2"],
  ["shared_bufers", "1GB"], ["pg_stat_statements.max", "5"],
  // settings that cannot be SET: through ALTER SYSTEM
  ["wal_level", "hot_standby"], ["wal_level", "maximal"], ["wal_level", "LOGICAL"],
  ["shared_buffers", "lots"], ["shared_buffers", "127kB"], ["shared_buffers", "100kB"], ["shared_buffers", "2GB"],
  ["max_connections", "100MB"], ["max_connections", "100.5"], ["block_size", "8192"],
  ["checkpoint_timeout", "15min"], ["checkpoint_timeout", "29s"], ["checkpoint_timeout", "2d"],
  ["max_wal_size", "8GB"], ["max_wal_size", "1MB"], ["wal_compression", "on"], ["huge_pages", "1"], ["archive_mode", "yes"],
];

/** Only on PostgreSQL 17 (or 16 and 17) among the majors checked here. */
const SAMPLE_17: readonly (readonly [string, string])[] = [
  ["vacuum_buffer_usage_limit", "64kB"], ["vacuum_buffer_usage_limit", "256kB"], ["vacuum_buffer_usage_limit", "0"],
  ["commit_timestamp_buffers", "24"], ["commit_timestamp_buffers", "32"], ["summarize_wal", "on"],
  ["timescaledb.max_open_chunks_per_insert", "-1"], ["timescaledb.max_open_chunks_per_insert", "512"],
  ["timescaledb.bgw_log_level", "debug"], ["timescaledb.bgw_log_level", "trace"], ["timescaledb.enable_chunk_append", "maybe"],
  ["timescaledb.enable_chunk_append", "off"],
];

/**
 * Where PGlite (32-bit WebAssembly, no lz4/zstd/sysv/syncfs) and the image's 64-bit server build differ: the
 * validator follows the server, PGlite refuses.
 */
const BUILD_DIFFERENCES: readonly (readonly [string, string])[] = [
  ["work_mem", "4GB"], ["max_wal_size", "4TB"], ["min_dynamic_shared_memory", "8GB"], ["wal_compression", "lz4"],
  ["default_toast_compression", "lz4"], ["dynamic_shared_memory_type", "sysv"], ["recovery_init_sync_method", "syncfs"],
];

/** Settings TimescaleDB removed or changed between PGlite's 2.23.0-dev and the committed release (2.29.2). */
const TIMESCALEDB_REMOVED = [
  "timescaledb.cagg_processing_high_work_mem", "timescaledb.cagg_processing_low_work_mem", "timescaledb.cagg_processing_wal_batch_size",
  "timescaledb.enable_custom_hashagg", "timescaledb.enable_transparent_decompression", "timescaledb.last_tuned", "timescaledb.last_tuned_version",
];
const TIMESCALEDB_CHANGED: Readonly<Record<string, Partial<PgSettingSpec>>> = { "timescaledb.compression_batch_size_limit": { max: 32767 } };
/** In the committed data, not in PGlite: the loader's background-worker settings and telemetry (both left out of
 *  PGlite's build), the release-build internal one, and what 2.24 .. 2.29 added. */
const TIMESCALEDB_NOT_IN_PGLITE = {
  loaderAndTelemetry: ["timescaledb.bgw_launcher_poll_time", "timescaledb.bgw_scheduler_restart_time", "timescaledb.max_background_workers", "timescaledb.telemetry_level", "timescaledb_telemetry.cloud"],
  internal: ["timescaledb.bloom1_column_prefix"],
};

describe("pg-settings: against PostgreSQL 17 (PGlite with TimescaleDB)", function () {
  this.timeout(30_000);
  let db: PgliteLike;
  let engineRows: EngineRow[];

  before(async () => {
    db = await openProjectPglite(true);
    engineRows = (await db.query<EngineRow>(SETTINGS_QUERY)).rows;
  });
  after(async () => {
    await db?.exec("ALTER SYSTEM RESET ALL");
    await db?.close();
  });

  /** Whether the engine accepts name=value: set_config for user/superuser settings, ALTER SYSTEM otherwise. */
  async function engineAccepts(name: string, value: string): Promise<{ accepted: boolean; message: string }> {
    const context = engineRows.find((r) => r.name === name)?.context ?? "user";
    try {
      if (context === "user" || context === "superuser") {
        await db.exec("BEGIN");
        try {
          await db.query(`SELECT set_config(${escapeLiteral(name)}, ${escapeLiteral(value)}, true)`);
        } finally {
          await db.exec("ROLLBACK");
        }
      } else {
        await db.exec(`ALTER SYSTEM SET ${name.split(".").map(escapeIdentifier).join(".")} = ${escapeLiteral(value)}`);
      }
      return { accepted: true, message: "" };
    } catch (e) {
      return { accepted: false, message: (e as Error).message };
    }
  }

  it("the committed PostgreSQL 17 data equals the engine's pg_settings (corrected to the server build)", async () => {
    const engine = await readEngineSettings(pgliteQuery(db), true);
    const committed = Object.fromEntries(Object.entries(PG_SETTINGS[17]).filter(([n]) => !isTimescaledbName(n)));
    assert.deepEqual(committed, engine);
  });

  it("the committed timescaledb.* data matches PGlite's TimescaleDB, apart from the releases between them", () => {
    const data = PG_SETTINGS[17];
    const engine = engineRows.filter((r) => isTimescaledbName(r.name));
    for (const row of engine) {
      if (TIMESCALEDB_REMOVED.includes(row.name)) {
        assert.equal(data[row.name], undefined, `${row.name} was removed`);
        continue;
      }
      assert.deepEqual(data[row.name], { ...specFromRow(row, true), ...TIMESCALEDB_CHANGED[row.name] }, row.name);
    }
    const missing = Object.keys(data).filter((n) => isTimescaledbName(n) && !engine.some((r) => r.name === n));
    for (const n of [...TIMESCALEDB_NOT_IN_PGLITE.loaderAndTelemetry, ...TIMESCALEDB_NOT_IN_PGLITE.internal]) assert.ok(missing.includes(n), n);
    assert.equal(missing.length, 26, `added since 2.23 or left out of PGlite: ${missing.join(", ")}`);
  });

  it("settingProblem accepts and refuses exactly what the engine does", async () => {
    const disagreements: string[] = [];
    for (const [name, value] of [...SAMPLE, ...SAMPLE_17]) {
      const engine = await engineAccepts(name, value);
      const problem = settingProblem(17, name, value);
      if (engine.accepted !== (problem === undefined)) disagreements.push(`${name}=${JSON.stringify(value)}: engine ${engine.accepted ? "accepts" : `refuses (${engine.message})`}, settingProblem ${problem ?? "accepts"}`);
    }
    assert.deepEqual(disagreements, []);
  });

  it("follows the 64-bit server build where PGlite's WebAssembly build differs", async () => {
    for (const [name, value] of BUILD_DIFFERENCES) {
      assert.equal(settingProblem(17, name, value), undefined, `${name}=${value}`);
      assert.equal((await engineAccepts(name, value)).accepted, false, `PGlite refuses ${name}=${value}`);
    }
  });
});

const PG15_BIN = "/usr/lib/postgresql/15/bin";

describe("pg-settings: against a PostgreSQL 15 server's command line (postgres -C)", function () {
  this.timeout(30_000);
  let dir: string;
  let user: { uid?: number; gid?: number } = {};

  before(function () {
    if (!fs.existsSync(path.join(PG15_BIN, "postgres"))) {
      // Debian's postgresql-15; .ci/run installs it. Said out loud: a pending test is easy to miss.
      console.log(`      SKIPPED (not run, not passed): no ${PG15_BIN}/postgres; apt-get install postgresql-15 to run it`);
      this.skip();
    }
    if (process.getuid?.() === 0) user = { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) };
    // `postgres -D DIR -C name -c name=value` parses the command line and the (here empty) postgresql.conf, prints
    // the value and exits: no cluster needed.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg15-settings-test-"));
    fs.writeFileSync(path.join(dir, "postgresql.conf"), "");
    fs.chmodSync(path.join(dir, "postgresql.conf"), 0o644); // readable by user postgres whatever the umask
    fs.chmodSync(dir, 0o755);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Exit status and stderr of `postgres -C name -c name=value` (as user postgres when root: postgres refuses root). */
  function postgresC(name: string, value: string): Promise<{ status: number; stderr: string }> {
    const args = ["-D", dir, "-C", name, "-c", `${name}=${value}`];
    return new Promise((resolve) => {
      const child = spawn(path.join(PG15_BIN, "postgres"), args, { stdio: ["ignore", "ignore", "pipe"], ...user });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (status) => resolve({ status: status ?? -1, stderr }));
    });
  }

  it("settingProblem accepts and refuses exactly what `postgres -c` does", async () => {
    const sample: readonly (readonly [string, string])[] = [
      ...SAMPLE,
      ...BUILD_DIFFERENCES, // a 64-bit server with lz4 and zstd, like the image
      ["summarize_wal", "on"], ["vacuum_buffer_usage_limit", "256kB"], ["force_parallel_mode", "1"], ["bonjour", "on"], ["huge_pages", "try"],
    ];
    const results: { status: number; stderr: string }[] = [];
    for (let i = 0; i < sample.length; i += 6) results.push(...(await Promise.all(sample.slice(i, i + 6).map(([n, v]) => postgresC(n, v)))));
    const disagreements: string[] = [];
    sample.forEach(([name, value], i) => {
      const { status, stderr } = results[i];
      const problem = settingProblem(15, name, value);
      const fatal = stderr.split("\n").find((l) => /FATAL/.test(l)) ?? stderr.trim();
      if ((status === 0) !== (problem === undefined)) disagreements.push(`${name}=${JSON.stringify(value)}: postgres ${status === 0 ? "accepts" : `refuses (${fatal})`}, settingProblem ${problem ?? "accepts"}`);
    });
    assert.deepEqual(disagreements, []);
  });
});
