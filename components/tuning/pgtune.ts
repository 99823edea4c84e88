/**
 * PostgreSQL/TimescaleDB settings derived from a stack's container resources, as `postgres -c` flags. Pure: no
 * Pulumi, no I/O, no clock.
 *
 * Where each value comes from, highest precedence first (the `source` of every setting says which):
 *   1. `overrides`: the stack's explicit settings win over everything ("override").
 *   2. The seed: the user's production notes for an 8 GiB / 2 CPU / 200 connection server. Constant values are
 *      used verbatim ("seed"). Memory-sized values are the seed's value at 8 GiB, scaled to other sizes by a rule
 *      stated in the source ("seed 16MB @ 8GiB ..."), so prod reproduces the notes exactly and a 2 GiB laptop
 *      gets the same proportions.
 *   3. timescaledb-tune v0.19 (github.com/timescale/timescaledb-tune, pkg/pgtune) where the seed is silent
 *      ("timescaledb-tune <file> ...").
 *   4. Our own rules where tune is silent or has a trap ("derived: ...").
 * Settings that depend on others (max_worker_processes, autovacuum_max_workers) are computed from the effective
 * values, overrides included, so e.g. overriding timescaledb.max_background_workers raises max_worker_processes.
 *
 * CPUs: the container limit may be fractional. Worker counts use Math.max(1, Math.floor(cpus)) (a worker needs a
 * whole CPU; 1.5 CPUs get 1 parallel worker); work_mem's CPU factor uses the raw value like tune's milliCPU code.
 *
 * Sizes are rendered the way tune writes them: rounded by `roundLikeTune` (tune's internal/parse BytesToPGFormat)
 * and formatted by `formatPgSize` (`2GB`, `1536MB`, `7864kB`).
 */
import { GiB, KiB, MiB, TiB, formatBytes, formatPgSize } from "../config/units";
import { settingProblem } from "./pg-settings";
import {
  BUILT_IN_WORKERS,
  SettingValues,
  TuningError,
  WAL_SEGMENT,
  budgetAllowance,
  budgetTerms,
  budgetWithoutAutovacuum,
  runChecks,
  type Floors,
  type SettingValue,
} from "./checks";

export { TuningError } from "./checks";

export interface TuningInput {
  /** Container memory limit in bytes. */
  memoryBytes: number;
  /** Container CPU limit; may be fractional (see the module comment for how it is rounded). */
  cpus: number;
  maxConnections: number;
  /** 15, 16 or 17. */
  postgresMajor: number;
  /** Disk space set aside for WAL; caps max_wal_size the way timescaledb-tune does (60% of it). */
  walDiskBudgetBytes?: number;
  /** Docker shm_size (/dev/shm). */
  shmSizeBytes: number;
  /** Container ulimit nofile. */
  nofileLimit: number;
  /** Explicit per-stack PostgreSQL settings; they win over the seed and the rules. */
  overrides?: Readonly<Record<string, string>>;
  /**
   * Libraries to preload after the seed's timescaledb, e.g. ["pg_stat_statements"] for monitoring (shared_preload_libraries
   * is read at server start only; the extension's views need it).
   */
  preloadLibraries?: readonly string[];
}

export interface TunedSetting {
  readonly name: string;
  readonly value: string;
  /** Which earlier value, rule or override set it, e.g. "earlier podman-compose deployment", "timescaledb-tune misc.go ...", "override". */
  readonly source: string;
}

export interface Tuning {
  /** Seed flags in the seed's order, then derived settings, then settings only the overrides add (by name). */
  readonly settings: readonly TunedSetting[];
  readonly warnings: readonly string[];
  /** The smallest shm_size and ulimit nofile that pass the checks without an error. */
  readonly floors: Floors;
}

export const SUPPORTED_MAJORS: readonly number[] = [15, 16, 17];

/** The seed's server: the notes' memory-sized values are for this shape. */
const SEED_MEMORY = 8 * GiB;
const SEED_CONNECTIONS = 200;

/** The seed's flags, in the notes' order. max_connections comes from the input; the sizes from rules below. */
export const SEED_ORDER = [
  "shared_preload_libraries",
  "max_connections",
  "shared_buffers",
  "effective_cache_size",
  "maintenance_work_mem",
  "work_mem",
  "autovacuum_work_mem",
  "wal_level",
  "wal_compression",
  "max_wal_size",
  "min_wal_size",
  "checkpoint_timeout",
  "checkpoint_completion_target",
  "timezone",
  "log_min_duration_statement",
  "log_checkpoints",
  "timescaledb.telemetry_level",
] as const;

/** How print-settings names a value taken from the earlier podman-compose deployment's command line. */
export const EARLIER_DEPLOYMENT = "earlier podman-compose deployment";

/** The seed's constant values, verbatim at every size. */
const SEED_CONSTANTS: Readonly<Record<string, string>> = {
  shared_preload_libraries: "timescaledb",
  wal_level: "replica",
  wal_compression: "on",
  checkpoint_timeout: "15min",
  checkpoint_completion_target: "0.9",
  timezone: "UTC",
  log_min_duration_statement: "500ms",
  log_checkpoints: "on",
  "timescaledb.telemetry_level": "off",
};

/** Settings the seed does not set, in output order after the seed's. */
export const DERIVED_ORDER = [
  "wal_buffers",
  "default_statistics_target",
  "random_page_cost",
  "effective_io_concurrency",
  "max_locks_per_transaction",
  "autovacuum_max_workers",
  "autovacuum_naptime",
  "timescaledb.max_background_workers",
  "max_worker_processes",
  "max_parallel_workers_per_gather",
  "max_parallel_workers",
  "max_parallel_maintenance_workers",
] as const;

const GUC_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$/;

type Rule = { readonly value: string; readonly source: string };

// ---------------------------------------------------------------------------------------------------------------
// Rendering sizes like timescaledb-tune.
// ---------------------------------------------------------------------------------------------------------------

/**
 * timescaledb-tune internal/parse/parse.go BytesToPGFormat: truncate to whole bytes; under 1kB -> 1kB; in the kB
 * range round to the nearest kB; otherwise keep the largest unit (MB, GB, TB) when the value is within 0.001 of a
 * whole number of it, else truncate to whole units of the next smaller one (2.5GB -> 2560MB, 5.12MB -> 5242kB).
 */
export function roundLikeTune(bytes: number): number {
  const b = Math.floor(bytes);
  if (b < KiB) return KiB;
  if (b < MiB) return Math.round(b / KiB) * KiB;
  const [unit, smaller] = b >= TiB ? [TiB, GiB] : b >= GiB ? [GiB, MiB] : [MiB, KiB];
  const whole = Math.trunc(b / unit);
  return b / unit - whole > 0.001 ? Math.trunc(b / smaller) * smaller : whole * unit;
}

/** A size as tune writes it. (Tune writes 1023.5kB..1024kB as `1024kB`; formatPgSize writes the same value `1MB`.) */
export function pgSize(bytes: number): string {
  return formatPgSize(roundLikeTune(bytes));
}

function roundUpTo(bytes: number, step: number): number {
  return Math.ceil(bytes / step) * step;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

// ---------------------------------------------------------------------------------------------------------------
// Memory rules (seed values at 8 GiB, scaled).
// ---------------------------------------------------------------------------------------------------------------

/** timescaledb-tune memory.go MemoryRecommender.Recommend(shared_buffers): totalMemory / 4. Seed: 2GB at 8 GiB. */
export function sharedBuffers(mem: number): Rule {
  return { value: pgSize(Math.floor(mem / 4)), source: "earlier podman-compose 2GB @ 8GiB = timescaledb-tune memory.go Recommend: memory/4" };
}

/** timescaledb-tune memory.go MemoryRecommender.Recommend(effective_cache_size): totalMemory × 3 / 4. Seed: 6GB. */
export function effectiveCacheSize(mem: number): Rule {
  return { value: pgSize(Math.floor((mem * 3) / 4)), source: "earlier podman-compose 6GB @ 8GiB = timescaledb-tune memory.go Recommend: memory×3/4" };
}

/**
 * timescaledb-tune memory.go MemoryRecommender.Recommend(maintenance_work_mem): 128MB per GB of memory, capped at
 * maintenanceWorkMemLimit 2047MB (2GB is the Unix limit, 2047MB the Windows one). Seed: 1GB at 8 GiB.
 */
export function maintenanceWorkMem(mem: number): Rule {
  return {
    value: pgSize(Math.floor(Math.min((mem / GiB) * 128 * MiB, 2047 * MiB))),
    source: "earlier podman-compose 1GB @ 8GiB = timescaledb-tune memory.go Recommend: 128MB per GB, max 2047MB",
  };
}

/**
 * work_mem. timescaledb-tune memory.go MemoryRecommender.Recommend(work_mem) computes
 * memory/GB × (6.4MB × 20 conns / max_connections) / cpuFactor, cpuFactor = max(1, round(cpus / 2)), floor workMemMin
 * 64kB; at 8 GiB / 200 connections / 2 CPUs that is 5242kB. The seed says 16MB there, so the seed wins and scales with
 * tune's shape: 16MB × (memory / 8GiB) × (200 / max_connections) / cpuFactor, floor 64kB. This keeps the seed's share
 * of memory for max_connections × work_mem (39%) at every size, so the memory budget fits on a 2 GiB laptop too.
 */
export function workMem(mem: number, connections: number, cpus: number): Rule {
  const cpuFactor = Math.max(1, Math.round(cpus / 2));
  const bytes = Math.max(64 * KiB, (16 * MiB * (mem / SEED_MEMORY) * (SEED_CONNECTIONS / connections)) / cpuFactor);
  return {
    value: pgSize(bytes),
    source: "earlier podman-compose 16MB @ 8GiB/200 conns/2 CPUs, scaled: 16MB × memory/8GiB × 200/max_connections ÷ tune memory.go cpuFactor max(1, round(cpus/2)), min 64kB",
  };
}

/**
 * autovacuum_work_mem (tune does not set it; PostgreSQL's -1 means maintenance_work_mem per worker). Seed: 256MB at
 * 8 GiB, i.e. memory/32, kept between 32MB and 1GB: PostgreSQL 15/16 vacuum cannot use more than 1GB for dead
 * tuples, and 17's TidStore fits far more into 1GB than any chunk needs.
 */
export function autovacuumWorkMem(mem: number): Rule {
  return {
    value: pgSize(clamp(Math.floor(mem / 32), 32 * MiB, GiB)),
    source: "earlier podman-compose 256MB @ 8GiB, scaled: memory/32, min 32MB, max 1GB",
  };
}

/**
 * max_wal_size and min_wal_size. Without a WAL disk budget: the seed's 8GB / 2GB at 8 GiB, scaled with memory (a
 * bigger server writes more WAL per 15min checkpoint), max_wal_size between 1GB (tune's defaultMaxWALBytes) and
 * 16GB, rounded up to whole 16MB WAL segments, min_wal_size = max_wal_size / 4 (the seed's ratio).
 * With a budget, timescaledb-tune wal.go WALRecommender.calcMaxWALBytes caps it: max_wal_size at most 60% of the
 * budget rounded up to 16MB, min_wal_size at most half of that (tune's Recommend(min_wal_size) = max / 2). So the
 * budget is a ceiling on the seed's values, never a reason to use more disk; prod keeps 8GB/2GB whenever its
 * budget is at least 13.4 GiB. Overrides win over both.
 */
export function walSizes(mem: number, walDiskBudget: number | undefined): { max: Rule; min: Rule } {
  const seedMax = roundUpTo(clamp(mem * (8 * GiB / SEED_MEMORY), GiB, 16 * GiB), WAL_SEGMENT);
  const seedMin = seedMax / 4;
  const seedSource = "earlier podman-compose 8GB/2GB @ 8GiB, scaled: max_wal_size = memory (1GB..16GB, whole 16MB segments), min_wal_size = max/4";
  if (walDiskBudget === undefined) {
    return { max: { value: pgSize(seedMax), source: seedSource }, min: { value: pgSize(seedMin), source: seedSource } };
  }
  const tuneMax = roundUpTo(Math.floor((walDiskBudget * 60) / 100), WAL_SEGMENT);
  const budget = formatBytes(walDiskBudget);
  const max = Math.min(seedMax, tuneMax);
  const min = Math.min(seedMin, Math.floor(max / 2));
  const capped = `timescaledb-tune wal.go calcMaxWALBytes: walDiskBudget ${budget} × 60%, up to 16MB`;
  return {
    max: { value: pgSize(max), source: max < seedMax ? `${capped} (caps the earlier podman-compose ${pgSize(seedMax)})` : `${seedSource}; within ${capped}` },
    min: { value: pgSize(min), source: min < seedMin ? `${capped}, ÷ 2 (caps the earlier podman-compose ${pgSize(seedMin)})` : `${seedSource}; within ${capped} ÷ 2` },
  };
}

/**
 * timescaledb-tune wal.go WALRecommender.Recommend(wal_buffers): 16MB (walBuffersDefault) from 2GB of memory up,
 * below that memory/GB × 7864kB.
 */
export function walBuffers(mem: number): Rule {
  if (mem >= 2 * GiB) return { value: pgSize(16 * MiB), source: "timescaledb-tune wal.go Recommend: 16MB from 2GB memory up" };
  return { value: pgSize((mem / GiB) * 7864 * KiB), source: "timescaledb-tune wal.go Recommend: memory/GB × 7864kB below 2GB" };
}

/** timescaledb-tune misc.go MiscRecommender.Recommend(max_locks_per_transaction), maxLocksValues: 128/256/512/1024 from 8/16/32GB. */
export function maxLocksPerTransaction(mem: number): Rule {
  const value = mem >= 32 * GiB ? "1024" : mem >= 16 * GiB ? "512" : mem >= 8 * GiB ? "256" : "128";
  return { value, source: "timescaledb-tune misc.go maxLocksValues: 128, 256 from 8GB, 512 from 16GB, 1024 from 32GB" };
}

// ---------------------------------------------------------------------------------------------------------------
// Parallelism.
// ---------------------------------------------------------------------------------------------------------------

/** timescaledb-tune misc.go MaxBackgroundWorkersDefault. */
export const TIMESCALEDB_BACKGROUND_WORKERS = 16;

/**
 * timescaledb-tune parallel.go ParallelRecommender.Recommend: max_parallel_workers = cpus,
 * max_parallel_workers_per_gather = round(cpus / 2). Tune writes nothing at 1 CPU (IsAvailable: cpus > 1), which
 * would leave PostgreSQL's defaults (8 workers, 2 per gather) on a 1 CPU box; we write explicit values instead:
 * parallel query and parallel maintenance off (a worker on the only CPU only adds overhead), a pool of 1.
 * max_parallel_maintenance_workers is not tuned by tune: round(cpus / 2) like per-gather, at most 4.
 */
export function parallelWorkers(cpuCount: number): Record<string, Rule> {
  if (cpuCount <= 1) {
    const off = "derived: 1 CPU, parallel query off (timescaledb-tune parallel.go writes nothing at 1 CPU)";
    return {
      max_parallel_workers_per_gather: { value: "0", source: off },
      max_parallel_workers: { value: "1", source: "derived: cpus (tune parallel.go rule, also at 1 CPU)" },
      max_parallel_maintenance_workers: { value: "0", source: off },
    };
  }
  const half = Math.round(cpuCount / 2);
  return {
    max_parallel_workers_per_gather: { value: String(half), source: "timescaledb-tune parallel.go Recommend: round(cpus/2)" },
    max_parallel_workers: { value: String(cpuCount), source: "timescaledb-tune parallel.go Recommend: cpus" },
    max_parallel_maintenance_workers: { value: String(Math.min(4, half)), source: "derived: round(cpus/2) like per-gather, max 4 (tune does not set it)" },
  };
}

/**
 * timescaledb-tune parallel.go Recommend(max_worker_processes): minBuiltInProcesses 3 + max background workers +
 * cpus. Computed from the effective timescaledb.max_background_workers and max_parallel_workers (at least cpus), and
 * written at 1 CPU too, where tune writes nothing and PostgreSQL's default 8 is below TimescaleDB's 16 workers.
 */
function maxWorkerProcesses(v: SettingValues, cpuCount: number): Rule {
  const bg = v.int("timescaledb.max_background_workers", "max_worker_processes");
  const parallel = Math.max(cpuCount, v.int("max_parallel_workers", "max_worker_processes"));
  return {
    value: String(BUILT_IN_WORKERS + bg + parallel),
    source: `timescaledb-tune parallel.go Recommend: 3 + timescaledb.max_background_workers ${bg} + max_parallel_workers ${parallel}`,
  };
}

/** timescaledb-tune misc.go autovacuumMaxWorkersDefault. */
export const TUNE_AUTOVACUUM_WORKERS = 10;

/**
 * autovacuum_max_workers: tune's 10 (misc.go autovacuumMaxWorkersDefault) assumes autovacuum_work_mem -1; 10 × the
 * seed's 256MB does not fit 8 GiB next to everything else. So: as many as fit in the memory budget's room,
 * floor((90% of memory − the budget's other terms) / autovacuum_work_mem), at most tune's 10, at least 1 (the
 * budget check then reports what does not fit). 8 GiB / 200 connections gets 4.
 */
function autovacuumMaxWorkers(v: SettingValues, memoryBytes: number): Rule {
  const t = budgetTerms(v);
  const room = budgetAllowance(memoryBytes) - budgetWithoutAutovacuum(t);
  const fit = Math.floor(room / t.autovacuumWorkMem);
  return {
    value: String(clamp(fit, 1, TUNE_AUTOVACUUM_WORKERS)),
    source: `derived: fits the memory budget, floor(${formatBytes(Math.max(0, room))} room / autovacuum_work_mem ${pgSize(t.autovacuumWorkMem)}), 1..timescaledb-tune's ${TUNE_AUTOVACUUM_WORKERS}`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Assembly.
// ---------------------------------------------------------------------------------------------------------------

/** Every setting that does not depend on other settings' effective values. */
function independentSettings(input: TuningInput, cpuCount: number): Map<string, Rule> {
  const mem = input.memoryBytes;
  const wal = walSizes(mem, input.walDiskBudgetBytes);
  const rules: Record<string, Rule> = {
    max_connections: { value: String(input.maxConnections), source: "input maxConnections (earlier podman-compose: 200)" },
    shared_buffers: sharedBuffers(mem),
    effective_cache_size: effectiveCacheSize(mem),
    maintenance_work_mem: maintenanceWorkMem(mem),
    work_mem: workMem(mem, input.maxConnections, input.cpus),
    autovacuum_work_mem: autovacuumWorkMem(mem),
    max_wal_size: wal.max,
    min_wal_size: wal.min,
    checkpoint_completion_target: { value: "0.9", source: "earlier podman-compose deployment (= timescaledb-tune misc.go checkpointDefault)" },
    wal_buffers: walBuffers(mem),
    default_statistics_target: { value: "100", source: "timescaledb-tune misc.go statsTargetDefault" },
    random_page_cost: { value: "1.1", source: "timescaledb-tune misc.go randomPageCostDefault" },
    effective_io_concurrency: { value: "256", source: "timescaledb-tune misc.go getEffectiveIOConcurrency: 256 from PostgreSQL 13" },
    max_locks_per_transaction: maxLocksPerTransaction(mem),
    autovacuum_naptime: { value: "10s", source: "timescaledb-tune misc.go autovacuumNaptimeDefault (10 seconds)" },
    "timescaledb.max_background_workers": {
      value: String(TIMESCALEDB_BACKGROUND_WORKERS),
      source: "timescaledb-tune misc.go MaxBackgroundWorkersDefault",
    },
    ...parallelWorkers(cpuCount),
  };
  const preload = input.preloadLibraries ?? [];
  if (preload.length > 0) {
    rules.shared_preload_libraries = {
      value: ["timescaledb", ...preload].join(","),
      source: `earlier podman-compose timescaledb, plus ${preload.join(", ")} (monitoring: statements become countable, not only logged over 500ms)`,
    };
  }
  for (const [name, value] of Object.entries(SEED_CONSTANTS)) rules[name] ??= { value, source: EARLIER_DEPLOYMENT };
  return new Map(Object.entries(rules));
}

/** Input validation; every problem names the input field. */
function validateInput(input: TuningInput): void {
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new TuningError(`tuning input ${field}=${JSON.stringify(value)} is invalid; expected ${expected}`);
  };
  if (!Number.isSafeInteger(input.memoryBytes) || input.memoryBytes < 256 * MiB) bad("memoryBytes", input.memoryBytes, "whole bytes, at least 256 MiB");
  if (!Number.isFinite(input.cpus) || input.cpus <= 0) bad("cpus", input.cpus, "a CPU count above 0");
  if (!Number.isInteger(input.maxConnections) || input.maxConnections < 1 || input.maxConnections > 262143) {
    bad("maxConnections", input.maxConnections, "a whole number from 1 to 262143");
  }
  if (!SUPPORTED_MAJORS.includes(input.postgresMajor)) bad("postgresMajor", input.postgresMajor, SUPPORTED_MAJORS.join(", "));
  for (const lib of input.preloadLibraries ?? []) if (!/^[a-z_][a-z0-9_]*$/.test(lib) || lib === "timescaledb") bad("preloadLibraries", lib, "library names other than timescaledb");
  const budget = input.walDiskBudgetBytes;
  if (budget !== undefined && (!Number.isSafeInteger(budget) || budget <= 0)) bad("walDiskBudgetBytes", budget, "whole bytes above 0");
  if (!Number.isSafeInteger(input.shmSizeBytes) || input.shmSizeBytes <= 0) bad("shmSizeBytes", input.shmSizeBytes, "whole bytes above 0");
  if (!Number.isInteger(input.nofileLimit) || input.nofileLimit < 1) bad("nofileLimit", input.nofileLimit, "a whole number above 0");
}

/**
 * Override names must look like PostgreSQL settings and values must fit on one `-c name=value` argument; then each
 * must be a setting of this PostgreSQL major (or TimescaleDB's) with a value it parses, by PostgreSQL's own rules
 * (pg-settings.ts): the server would otherwise exit at start and the container restart in a loop.
 */
function validateOverrides(overrides: Readonly<Record<string, string>>, major: number): ReadonlyMap<string, string> {
  for (const [name, value] of Object.entries(overrides)) {
    if (!GUC_NAME.test(name)) {
      throw new TuningError(`override ${JSON.stringify(name)} is not a PostgreSQL setting name (lowercase letters, digits and _, optionally one "prefix." as in timescaledb.max_background_workers)`);
    }
    if (typeof value !== "string" || value.trim() === "" || /[\r\n\0]/.test(value)) {
      throw new TuningError(`override ${name}=${JSON.stringify(value)} must be a non-empty string without newlines`);
    }
    const problem = settingProblem(major, name, value);
    if (problem) throw new TuningError(`postgresSettings: ${problem}`);
  }
  return new Map(Object.entries(overrides));
}

function withOverrides(rules: ReadonlyMap<string, Rule>, overrides: ReadonlyMap<string, string>): Map<string, SettingValue> {
  const out = new Map<string, SettingValue>(rules);
  for (const [name, value] of overrides) out.set(name, { value, source: "override" });
  return out;
}

/**
 * Derives the settings for `input`, applies the overrides, and runs the capacity checks. Throws a TuningError (one
 * line, every failed check joined by "; ") when the input, an override or an error-level check fails.
 */
export function tunePostgres(input: TuningInput): Tuning {
  validateInput(input);
  const overrides = validateOverrides(input.overrides ?? {}, input.postgresMajor);
  const cpuCount = Math.max(1, Math.floor(input.cpus));

  const rules = independentSettings(input, cpuCount);
  const effective = () => new SettingValues(withOverrides(rules, overrides));
  rules.set("max_worker_processes", maxWorkerProcesses(effective(), cpuCount));
  if (!overrides.has("autovacuum_max_workers")) rules.set("autovacuum_max_workers", autovacuumMaxWorkers(effective(), input.memoryBytes));

  const final = withOverrides(rules, overrides);
  const known: readonly string[] = [...SEED_ORDER, ...DERIVED_ORDER];
  const extra = [...overrides.keys()].filter((n) => !known.includes(n)).sort();
  const settings = [...known, ...extra].map((name): TunedSetting => {
    const s = final.get(name);
    if (!s) throw new TuningError(`internal: no rule for ${name}`);
    return Object.freeze({ name, value: s.value, source: s.source });
  });

  const checked = runChecks(final, input);
  if (checked.errors.length > 0) throw new TuningError(checked.errors.join("; "), checked.errors);
  return Object.freeze({ settings: Object.freeze(settings), warnings: Object.freeze([...checked.warnings]), floors: checked.floors });
}

/** The container command: `postgres -c name=value ...` in the settings' order. No shell, so no quoting. */
export function postgresCommand(settings: readonly TunedSetting[]): string[] {
  return ["postgres", ...settings.flatMap((s) => ["-c", `${s.name}=${s.value}`])];
}

/** The settings as an aligned three-column table (name, value, source), for tools and reports. */
export function formatSettingsTable(settings: readonly TunedSetting[]): string {
  const nameWidth = Math.max(...settings.map((s) => s.name.length));
  const valueWidth = Math.max(...settings.map((s) => s.value.length));
  return settings.map((s) => `${s.name.padEnd(nameWidth)}  ${s.value.padEnd(valueWidth)}  ${s.source}`).join("\n");
}
