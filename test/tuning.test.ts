import assert from "node:assert/strict";
import {
  DERIVED_ORDER,
  EARLIER_DEPLOYMENT,
  SEED_ORDER,
  TuningError,
  pgSize,
  postgresCommand,
  roundLikeTune,
  tunePostgres,
  type Tuning,
  type TuningInput,
} from "../components/tuning";
import { checkCommandLine, commandLineSettings } from "../components/tuning/command";
import { numericSetting } from "../components/tuning/pg-settings";
import { GiB, KiB, MiB } from "../components/config/units";
import { SEED_FLAGS } from "./support/seed";

/** The seed's server: prod. */
const PROD: TuningInput = { memoryBytes: 8 * GiB, cpus: 2, maxConnections: 200, postgresMajor: 17, shmSizeBytes: GiB, nofileLimit: 262144 };
/** A dev laptop, as Pulumi.dev.yaml has it. */
const LAPTOP: TuningInput = { memoryBytes: 2 * GiB, cpus: 1, maxConnections: 50, postgresMajor: 17, shmSizeBytes: 256 * MiB, nofileLimit: 65536 };


function values(t: Tuning): Record<string, string> {
  return Object.fromEntries(t.settings.map((s) => [s.name, s.value]));
}

function source(t: Tuning, name: string): string {
  const s = t.settings.find((x) => x.name === name);
  assert.ok(s, `${name} is set`);
  return s.source;
}

function tuneWith(base: TuningInput, change: Partial<TuningInput>): Tuning {
  return tunePostgres({ ...base, ...change });
}

/** Asserts that tuning throws a one-line TuningError whose message matches every pattern. */
function assertTuningError(input: TuningInput, ...patterns: RegExp[]): void {
  assert.throws(
    () => tunePostgres(input),
    (e: unknown) => {
      assert.ok(e instanceof TuningError, `TuningError, got ${String(e)}`);
      assert.doesNotMatch(e.message, /\n/, "one line");
      for (const p of patterns) assert.match(e.message, p);
      return true;
    },
  );
}

describe("tuning: the seed's prod server (8 GiB, 2 CPUs, 200 connections)", () => {
  let prod: Tuning;
  before(() => {
    prod = tunePostgres(PROD);
  });

  it("emits exactly the seed's flags first, in the seed's order, then the derived settings", () => {
    assert.deepEqual(prod.settings.slice(0, SEED_FLAGS.length).map((s) => `${s.name}=${s.value}`), SEED_FLAGS);
    assert.deepEqual(prod.settings.map((s) => s.name), [...SEED_ORDER, ...DERIVED_ORDER]);
  });

  it("derives the rest from timescaledb-tune and the memory budget", () => {
    assert.deepEqual(prod.settings.slice(SEED_FLAGS.length).map((s) => `${s.name}=${s.value}`), [
      "wal_buffers=16MB",
      "default_statistics_target=100",
      "random_page_cost=1.1",
      "effective_io_concurrency=256",
      "max_locks_per_transaction=256",
      "autovacuum_max_workers=4",
      "autovacuum_naptime=10s",
      "timescaledb.max_background_workers=16",
      "max_worker_processes=21",
      "max_parallel_workers_per_gather=1",
      "max_parallel_workers=2",
      "max_parallel_maintenance_workers=1",
    ]);
  });

  it("says where each value comes from", () => {
    for (const name of ["shared_preload_libraries", "wal_level", "checkpoint_timeout", "timescaledb.telemetry_level"]) {
      assert.equal(source(prod, name), EARLIER_DEPLOYMENT);
    }
    assert.match(source(prod, "shared_buffers"), /^earlier podman-compose 2GB @ 8GiB = timescaledb-tune memory\.go.*memory\/4/);
    assert.match(source(prod, "work_mem"), /^earlier podman-compose 16MB .*scaled/);
    assert.match(source(prod, "random_page_cost"), /^timescaledb-tune misc\.go/);
    assert.match(source(prod, "autovacuum_max_workers"), /^derived: fits the memory budget/);
    for (const s of prod.settings) assert.ok(s.source.length > 0, `${s.name} has a source`);
  });

  it("passes every check without warnings and reports the container floors", () => {
    assert.deepEqual(prod.warnings, []);
    // 64MB + (2 workers + 2 leaders) × work_mem 16MB × hash_mem_multiplier 2
    assert.equal(prod.floors.shmSizeBytes, 192 * MiB);
    assert.equal(prod.floors.nofileLimit, 128);
  });

  it("is deterministic and frozen", () => {
    assert.deepEqual(tunePostgres(PROD), prod);
    assert.ok(Object.isFrozen(prod.settings) && Object.isFrozen(prod.settings[0]));
  });
});

describe("tuning: other sizes (table)", () => {
  const cases: Array<{ name: string; input: TuningInput; want: Record<string, string> }> = [
    {
      name: "2 GiB / 1 CPU / 50 connections (dev laptop)",
      input: LAPTOP,
      want: {
        max_connections: "50", shared_buffers: "512MB", effective_cache_size: "1536MB", maintenance_work_mem: "256MB",
        work_mem: "16MB", autovacuum_work_mem: "64MB", max_wal_size: "2GB", min_wal_size: "512MB", wal_buffers: "16MB",
        max_locks_per_transaction: "128", autovacuum_max_workers: "4", max_worker_processes: "20",
        max_parallel_workers_per_gather: "0", max_parallel_workers: "1", max_parallel_maintenance_workers: "0",
      },
    },
    {
      name: "1 GiB / 1 CPU / 20 connections (below tune's wal_buffers threshold)",
      input: { ...LAPTOP, memoryBytes: GiB, maxConnections: 20 },
      want: {
        shared_buffers: "256MB", maintenance_work_mem: "128MB", work_mem: "20MB", autovacuum_work_mem: "32MB",
        wal_buffers: "7864kB", max_wal_size: "1GB", min_wal_size: "256MB", max_worker_processes: "20",
      },
    },
    {
      name: "24 GiB / 2 CPUs / 200 connections",
      input: { ...PROD, memoryBytes: 24 * GiB },
      want: {
        shared_buffers: "6GB", effective_cache_size: "18GB", maintenance_work_mem: "2047MB", work_mem: "48MB",
        autovacuum_work_mem: "768MB", max_wal_size: "16GB", min_wal_size: "4GB", max_locks_per_transaction: "512",
        autovacuum_max_workers: "5", max_worker_processes: "21", max_parallel_workers_per_gather: "1",
      },
    },
    {
      name: "64 GiB / 16 CPUs / 200 connections",
      input: { ...PROD, memoryBytes: 64 * GiB, cpus: 16, shmSizeBytes: 4 * GiB },
      want: {
        shared_buffers: "16GB", effective_cache_size: "48GB", maintenance_work_mem: "2047MB", work_mem: "16MB",
        autovacuum_work_mem: "1GB", max_wal_size: "16GB", min_wal_size: "4GB", max_locks_per_transaction: "1024",
        autovacuum_max_workers: "10", max_worker_processes: "35", max_parallel_workers_per_gather: "8",
        max_parallel_workers: "16", max_parallel_maintenance_workers: "4",
      },
    },
    {
      name: "1.5 CPUs count as 1 for workers",
      input: { ...PROD, cpus: 1.5 },
      want: { work_mem: "16MB", max_worker_processes: "20", max_parallel_workers: "1", max_parallel_workers_per_gather: "0" },
    },
    {
      name: "2.5 CPUs count as 2 for workers; work_mem's CPU factor uses round(2.5/2) = 1",
      input: { ...PROD, cpus: 2.5 },
      want: { work_mem: "16MB", max_worker_processes: "21", max_parallel_workers: "2" },
    },
    {
      name: "4 CPUs halve work_mem (tune's cpuFactor)",
      input: { ...PROD, cpus: 4, shmSizeBytes: 2 * GiB },
      want: { work_mem: "8MB", max_worker_processes: "23", max_parallel_workers_per_gather: "2", max_parallel_maintenance_workers: "2" },
    },
    {
      name: "8 GiB with a 20 GiB WAL budget keeps the seed's WAL sizes (under tune's 60% cap, 12GB)",
      input: { ...PROD, walDiskBudgetBytes: 20 * GiB },
      want: { max_wal_size: "8GB", min_wal_size: "2GB" },
    },
    {
      name: "8 GiB with a 10 GiB WAL budget: tune's 60% caps max_wal_size",
      input: { ...PROD, walDiskBudgetBytes: 10 * GiB },
      want: { max_wal_size: "6GB", min_wal_size: "2GB" },
    },
    {
      name: "8 GiB with a 3 GiB WAL budget: 60% rounded up to 16MB segments, min = max/2",
      input: { ...PROD, walDiskBudgetBytes: 3 * GiB },
      want: { max_wal_size: "1856MB", min_wal_size: "928MB" },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const t = tunePostgres(c.input);
      const got = values(t);
      for (const [name, value] of Object.entries(c.want)) assert.equal(got[name], value, name);
      for (const flag of ["shared_preload_libraries=timescaledb", "checkpoint_timeout=15min", "wal_compression=on"]) {
        const [name, value] = flag.split("=");
        assert.equal(got[name], value, `${name} is the seed's at every size`);
      }
      const workers = Number(got.max_worker_processes);
      const cpus = Math.max(1, Math.floor(c.input.cpus));
      assert.ok(workers >= 3 + Number(got["timescaledb.max_background_workers"]) + cpus, "worker slots for TimescaleDB + parallel");
      assert.deepEqual(t.warnings, []);
    });
  }

  it("the dev laptop passes with Docker's default 64MB /dev/shm and a 1024 nofile", () => {
    const t = tuneWith(LAPTOP, { shmSizeBytes: 64 * MiB, nofileLimit: 1024 });
    assert.deepEqual(t.warnings, []);
    assert.equal(t.floors.shmSizeBytes, 64 * MiB);
  });

  it("the WAL budget rule is tune's calcMaxWALBytes: 60% of a 3 GiB budget is 1843.2MB, rounded up to 1856MB", () => {
    assert.match(source(tuneWith(PROD, { walDiskBudgetBytes: 3 * GiB }), "max_wal_size"), /wal\.go calcMaxWALBytes.*caps the earlier podman-compose 8GB/);
  });
});

describe("tuning: overrides", () => {
  it("win over the seed and the rules, keep their slot and say so", () => {
    const t = tuneWith(PROD, { overrides: { shared_buffers: "3GB", work_mem: "8MB", checkpoint_timeout: "30min" } });
    const shared = t.settings.findIndex((s) => s.name === "shared_buffers");
    assert.deepEqual(t.settings[shared], { name: "shared_buffers", value: "3GB", source: "override" });
    assert.equal(shared, SEED_ORDER.indexOf("shared_buffers"));
    assert.equal(values(t).work_mem, "8MB");
    assert.equal(source(t, "checkpoint_timeout"), "override");
    assert.equal(source(t, "effective_cache_size"), source(tunePostgres(PROD), "effective_cache_size"), "others untouched");
  });

  it("that only add settings come last, sorted by name", () => {
    const t = tuneWith(PROD, { overrides: { statement_timeout: "30s", "pg_stat_statements.max": "5000", random_page_cost: "1.5" } });
    assert.deepEqual(t.settings.slice(-2).map((s) => `${s.name}=${s.value}:${s.source}`), [
      "pg_stat_statements.max=5000:override",
      "statement_timeout=30s:override",
    ]);
    assert.equal(values(t).random_page_cost, "1.5");
    assert.equal(t.settings.length, SEED_ORDER.length + DERIVED_ORDER.length + 2);
  });

  it("feed the dependent settings: more TimescaleDB workers raise max_worker_processes", () => {
    const t = tuneWith(PROD, { overrides: { "timescaledb.max_background_workers": "32" } });
    assert.equal(values(t).max_worker_processes, "37");
  });

  it("feed the memory budget: a bigger work_mem leaves room for fewer autovacuum workers, and a warning", () => {
    const t = tuneWith(PROD, { overrides: { work_mem: "20MB" } });
    assert.equal(values(t).autovacuum_max_workers, "1");
    assert.equal(t.warnings.length, 1);
    assert.match(t.warnings[0], /autovacuum_max_workers 1 is below PostgreSQL's default 3/);
  });

  it("override max_connections", () => {
    const t = tuneWith(PROD, { overrides: { max_connections: "100" } });
    assert.equal(values(t).max_connections, "100");
    assert.equal(source(t, "max_connections"), "override");
  });

  const badNames = ["Shared_Buffers", "work-mem", "1work_mem", "a.b.c", "timescaledb.", ".x", "work mem", "", "max_connections=1"];
  for (const name of badNames) {
    it(`reject the name ${JSON.stringify(name)}`, () => {
      assertTuningError({ ...PROD, overrides: { [name]: "1" } }, new RegExp(`override ${escape(JSON.stringify(name))} is not a PostgreSQL setting name`));
    });
  }

  const badValues = ["", "   ", "1GB\n-c fsync=off", "on\r"];
  for (const value of badValues) {
    it(`reject the value ${JSON.stringify(value)}`, () => {
      assertTuningError({ ...PROD, overrides: { work_mem: value } }, /override work_mem=.* must be a non-empty string without newlines/);
    });
  }

  it("are refused by PostgreSQL's own parsing rules (pg-settings.ts) before any check reads them", () => {
    assertTuningError({ ...PROD, overrides: { work_mem: "lots" } }, /^postgresSettings: work_mem: "lots" is not a size such as 2GB/);
    assertTuningError({ ...PROD, overrides: { shared_buffers: "2gb" } }, /^postgresSettings: shared_buffers: "2gb"/);
    assertTuningError({ ...PROD, overrides: { max_worker_processes: "many" } }, /^postgresSettings: max_worker_processes: "many"/);
    assertTuningError({ ...PROD, overrides: { hash_mem_multiplier: "double" } }, /^postgresSettings: hash_mem_multiplier: "double"/);
    assertTuningError({ ...PROD, overrides: { shared_bufers: "2GB" } }, /^postgresSettings: unknown setting "shared_bufers" \(did you mean shared_buffers\?\)/);
    assertTuningError({ ...PROD, overrides: { wal_level: "maximal" } }, /^postgresSettings: wal_level: "maximal" is not one of/);
    assertTuningError({ ...PROD, postgresMajor: 15, overrides: { summarize_wal: "on" } }, /^postgresSettings: unknown setting "summarize_wal" in PostgreSQL 15/);
  });

  it("parse PostgreSQL's bare numbers in the setting's unit (shared_buffers in 8kB pages, work_mem in kB)", () => {
    const t = tuneWith(PROD, { overrides: { shared_buffers: "262144", work_mem: "16384" } });
    assert.equal(values(t).shared_buffers, "262144");
    assert.equal(values(t).autovacuum_max_workers, "4", "same budget as 2GB / 16MB");
    // -1 budgets maintenance_work_mem 1GB per autovacuum worker: 2048+16+1024+3200+3×1024 = 9360 MiB > 7372.8 MiB
    assertTuningError({ ...PROD, overrides: { autovacuum_work_mem: "-1", autovacuum_max_workers: "3" } }, /autovacuum_work_mem -1 \(= maintenance_work_mem 1GB\)/);
  });
});

describe("tuning: capacity checks", () => {
  it("memory budget: tune's 10 autovacuum workers × the seed's 256MB do not fit 8 GiB (error)", () => {
    assertTuningError(
      { ...PROD, overrides: { autovacuum_max_workers: "10" } },
      /^memory budget 8848 MiB exceeds 90% of the 8 GiB container limit \(7372\.8 MiB\): /,
      /shared_buffers 2GB \+ wal_buffers 16MB \+ maintenance_work_mem 1GB \+ autovacuum_max_workers 10 × autovacuum_work_mem 256MB \+ max_connections 200 × work_mem 16MB$/,
    );
  });

  it("memory budget: work_mem per connection that cannot fit (error)", () => {
    assertTuningError({ ...PROD, overrides: { work_mem: "64MB" } }, /memory budget .* max_connections 200 × work_mem 64MB/);
  });

  it("shared_buffers share outside 15%–40% (warning)", () => {
    const low = tuneWith(PROD, { overrides: { shared_buffers: "1GB" } });
    assert.deepEqual(low.warnings, ["shared_buffers 1GB is 12.5% of the 8 GiB container limit; keep it within 15%–40% (timescaledb-tune uses 25%)"]);
    const high = tuneWith({ ...PROD, memoryBytes: 64 * GiB, cpus: 16, shmSizeBytes: 4 * GiB }, { overrides: { shared_buffers: "32GB" } });
    assert.equal(high.warnings.length, 1);
    assert.match(high.warnings[0], /shared_buffers 32GB is 50\.0% of the 64 GiB container limit/);
  });

  it("worker slots: max_worker_processes below TimescaleDB + parallel + 3 (error)", () => {
    assertTuningError(
      { ...PROD, overrides: { max_worker_processes: "8" } },
      /^max_worker_processes 8 < 3 \+ timescaledb\.max_background_workers 16 \+ max_parallel_workers 2 = 21: /,
    );
  });

  it("parallel limits above max_parallel_workers (warning)", () => {
    const t = tuneWith(PROD, { overrides: { max_parallel_workers_per_gather: "4" }, shmSizeBytes: 2 * GiB });
    assert.deepEqual(t.warnings, ["max_parallel_workers_per_gather 4 > max_parallel_workers 2: PostgreSQL caps it at 2"]);
  });

  it("shared_preload_libraries without timescaledb (error)", () => {
    assertTuningError({ ...PROD, overrides: { shared_preload_libraries: "pg_stat_statements" } }, /shared_preload_libraries="pg_stat_statements" does not include timescaledb/);
    const both = tuneWith(PROD, { overrides: { shared_preload_libraries: "timescaledb,pg_stat_statements" } });
    assert.equal(values(both).shared_preload_libraries, "timescaledb,pg_stat_statements");
  });

  it("min_wal_size above max_wal_size (error)", () => {
    assertTuningError({ ...PROD, overrides: { min_wal_size: "16GB" } }, /^min_wal_size 16GB > max_wal_size 8GB$/);
  });

  it("WAL sizes below two 16MB segments (error), also from a tiny WAL budget", () => {
    assertTuningError({ ...PROD, overrides: { max_wal_size: "16MB", min_wal_size: "16MB" } }, /min_wal_size 16MB < 2 × wal_segment_size 16MB = 32MB/, /; max_wal_size 16MB < 2/);
    assertTuningError({ ...PROD, walDiskBudgetBytes: 32 * MiB }, /^min_wal_size 16MB < 2 × wal_segment_size/);
  });

  it("max_wal_size above the WAL disk budget (error)", () => {
    assertTuningError({ ...PROD, walDiskBudgetBytes: 4 * GiB, overrides: { max_wal_size: "8GB" } }, /^max_wal_size 8GB > walDiskBudget 4 GiB: /);
  });

  it("shm_size below what parallel query needs in /dev/shm (error)", () => {
    assertTuningError(
      { ...PROD, shmSizeBytes: 128 * MiB },
      /^shm_size 128 MiB < 192 MiB of \/dev\/shm that parallel query needs: 64MB base \+ \(max_parallel_workers 2 \+ one leader per max_parallel_workers_per_gather 1\) × work_mem 16MB × hash_mem_multiplier 2\.0$/,
    );
  });

  it("shm_size below parallel VACUUM's dead-tuple array on PostgreSQL 16 (warning; 17 allocates on demand)", () => {
    const t = tuneWith(PROD, { postgresMajor: 16 });
    assert.equal(t.warnings.length, 1);
    assert.match(t.warnings[0], /^shm_size 1 GiB < 1216 MiB: .*min\(maintenance_work_mem 1GB, 1GB\) on PostgreSQL 16$/);
    assert.deepEqual(tuneWith(PROD, { postgresMajor: 16, shmSizeBytes: 2 * GiB }).warnings, []);
  });

  it("nofile below what one backend may keep open (warning) or what the postmaster needs (error)", () => {
    assert.deepEqual(tuneWith(PROD, { nofileLimit: 512 }).warnings, [
      "ulimit nofile 512 < max_files_per_process 1000: each backend is capped below the files PostgreSQL may keep open",
    ]);
    assertTuningError({ ...PROD, nofileLimit: 64 }, /^ulimit nofile 64 < 128: /);
    assert.deepEqual(tuneWith(PROD, { nofileLimit: 1024 }).warnings, []);
  });

  it("reports every failed error check on one line", () => {
    assertTuningError({ ...PROD, shmSizeBytes: 64 * MiB, overrides: { max_worker_processes: "8" } }, /^max_worker_processes 8 < .*; shm_size 64 MiB < 192 MiB/);
  });

  it("validates the input, naming the field", () => {
    assertTuningError({ ...PROD, postgresMajor: 14 }, /postgresMajor=14 is invalid; expected 15, 16, 17/);
    assertTuningError({ ...PROD, cpus: 0 }, /cpus=0 is invalid/);
    assertTuningError({ ...PROD, maxConnections: 1.5 }, /maxConnections=1\.5 is invalid/);
    assertTuningError({ ...PROD, memoryBytes: 128 * MiB }, /memoryBytes=134217728 is invalid/);
  });
});

describe("tuning: rendering", () => {
  const table: Array<[number, string]> = [
    [2 * GiB, "2GB"],
    [1536 * MiB, "1536MB"],
    [2.5 * GiB, "2560MB"],
    [2047 * MiB, "2047MB"],
    [8 * (6.4 * 20 / 200) * MiB, "5242kB"], // tune's own work_mem at 8GB / 200 connections / 2 CPUs
    [12 * 6.4 * 20 * MiB / 20, "78643kB"], // tune memory_test.go: 12GB base work_mem
    [7864 * KiB, "7864kB"],
    [64 * KiB, "64kB"],
    [500, "1kB"],
    [1536.4 * KiB, "1536kB"],
    [GiB + 512, "1GB"], // within 0.001 of a whole GB: tune keeps GB
  ];
  for (const [bytes, want] of table) {
    it(`renders ${bytes} bytes as ${want}, like tune's BytesToPGFormat`, () => assert.equal(pgSize(bytes), want));
  }

  it("rounds to the nearest kB below 1MB", () => assert.equal(roundLikeTune(512.6 * KiB), 513 * KiB));

  it("builds the container command: postgres, then -c name=value per setting in order", () => {
    const t = tunePostgres(PROD);
    const cmd = postgresCommand(t.settings);
    assert.equal(cmd[0], "postgres");
    assert.equal(cmd.length, 1 + 2 * t.settings.length);
    assert.deepEqual(cmd.slice(1, 5), ["-c", "shared_preload_libraries=timescaledb", "-c", "max_connections=200"]);
    for (let i = 1; i < cmd.length; i += 2) {
      assert.equal(cmd[i], "-c");
      assert.match(cmd[i + 1], /^[a-z][a-z0-9_.]*=[^\n]+$/);
    }
    assert.deepEqual(cmd.filter((_, i) => i > 0 && i % 2 === 0), SEED_FLAGS.concat(t.settings.slice(SEED_FLAGS.length).map((s) => `${s.name}=${s.value}`)));
  });

  it("keeps override values with spaces as one argument (no shell)", () => {
    const cmd = postgresCommand(tuneWith(PROD, { overrides: { log_line_prefix: "%m [%p] " } }).settings);
    assert.equal(cmd[cmd.length - 1], "log_line_prefix=%m [%p] ");
  });
});

describe("tuning: the checks over a deployed command line (command.ts, for the policy pack)", () => {
  const valuesOf = (command: string[]) => Object.fromEntries([...commandLineSettings(command)].map(([k, v]) => [k, v.value]));

  it("reads back every setting postgresCommand wrote, and the checks find what tunePostgres found", () => {
    for (const input of [PROD, LAPTOP, { ...PROD, postgresMajor: 15, overrides: { shared_buffers: "1GB" } }]) {
      const t = tunePostgres(input);
      const command = postgresCommand(t.settings);
      assert.deepEqual(valuesOf(command), values(t));
      assert.deepEqual(checkCommandLine(command, input), { errors: [], warnings: t.warnings, floors: t.floors });
    }
  });

  it("reads -c name=value, -cname=value, --name=value and -B/-N/-S as postgres does: names case-insensitive, - as _, the last one wins", () => {
    assert.deepEqual(
      valuesOf(["/usr/lib/postgresql/17/bin/postgres", "-c", "Work-Mem=1MB", "-cshared_buffers=1GB", "--max_connections=10", "-B", "2GB", "-N20", "-S", "8MB", "-p", "5432", "-c", "x.y=a=b"]),
      { work_mem: "8MB", shared_buffers: "2GB", max_connections: "20", "x.y": "a=b" },
    );
    assert.equal(commandLineSettings(["postgres", "-c", "work_mem=4MB"]).get("work_mem")?.source, "command line");
  });

  it("finds a 1 GiB limit with shared_buffers=2GB over the memory budget (runChecks' error, unchanged)", () => {
    const command = postgresCommand(tunePostgres(PROD).settings).map((a) => (a.startsWith("shared_buffers=") ? "shared_buffers=2GB" : a));
    const result = checkCommandLine(command, { ...PROD, memoryBytes: GiB });
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0], /^memory budget 7312 MiB exceeds 90% of the 1 GiB container limit \(921\.6 MiB\): shared_buffers 2GB \+/);
  });

  it("names a setting the checks need that the command line leaves out, and passes other failures through", () => {
    const command = postgresCommand(tunePostgres(PROD).settings);
    const without = (name: string) => command.filter((a, i) => !a.startsWith(`${name}=`) && !(a === "-c" && command[i + 1]?.startsWith(`${name}=`)));
    assert.throws(() => checkCommandLine(without("max_worker_processes"), PROD), (e: unknown) => {
      assert.ok(e instanceof TuningError);
      assert.equal(e.message, "max_worker_processes is not set on the command line; the capacity checks need it");
      return true;
    });
    // hash_mem_multiplier has PostgreSQL's default in the checks: leaving it out is fine.
    assert.deepEqual(checkCommandLine(without("hash_mem_multiplier"), PROD).errors, []);
    assert.throws(() => checkCommandLine([...command, "-c", "work_mem=lots"], PROD), /^TuningError: work_mem="lots" \(command line\) is not a PostgreSQL memory size/);
  });

  it("refuses a command that does not run postgres, and an option without its value", () => {
    assert.throws(() => commandLineSettings(["docker-entrypoint.sh", "postgres"]), /does not run postgres; expected \["postgres", "-c", "name=value", \.\.\.\]/);
    assert.throws(() => commandLineSettings(["postgres", "-c"]), /postgres -c requires name=value, got null/);
    assert.throws(() => commandLineSettings(["postgres", "-c", "work_mem"]), /postgres -c requires name=value, got "work_mem"/);
    assert.throws(() => commandLineSettings(["postgres", "-B"]), /postgres -B requires a value/);
  });
});

describe("pg-settings: numericSetting reads a value in the setting's base unit, by PostgreSQL's rules", () => {
  const cases: [string, string, number | undefined][] = [
    ["log_min_duration_statement", "500ms", 500],
    ["log_min_duration_statement", "2s", 2000],
    ["log_min_duration_statement", "1min", 60000],
    ["log_min_duration_statement", "250", 250],
    ["log_min_duration_statement", "-1", -1],
    ["log_min_duration_statement", "500 MS", undefined],
    ["log_min_duration_statement", "-2", undefined],
    ["shared_buffers", "2GB", 262144],
    ["sort_mem", "4MB", 4096],
    ["checkpoint_completion_target", "0.9", 0.9],
    ["log_checkpoints", "on", undefined],
    ["no_such_setting", "1", undefined],
  ];
  for (const [name, value, want] of cases) {
    it(`${name}=${value} is ${want}`, () => assert.equal(numericSetting(17, name, value), want));
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
