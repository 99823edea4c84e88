/**
 * Capacity and consistency checks over the final PostgreSQL settings (seed, rules and overrides alike). Pure: no
 * Pulumi, no I/O. Each finding is ONE line naming the settings and the numbers, because it is what a user reads at
 * `pulumi preview`. Errors make `tunePostgres` throw a TuningError; warnings are returned for the program to log.
 *
 * Rule of thumb for the level: an error is a configuration PostgreSQL refuses to start with, or one that fails
 * deterministically under ordinary load (OOM kill, no worker slot, no shared memory). A warning is a performance or
 * headroom concern that PostgreSQL degrades around.
 */
import { GiB, KiB, MiB, TiB, formatBytes } from "../config/units";

/** A settings problem; `message` is one line. `problems` lists every error when several checks failed. */
export class TuningError extends Error {
  readonly problems: readonly string[];
  constructor(message: string, problems?: readonly string[]) {
    super(message);
    this.name = "TuningError";
    this.problems = problems ?? [message];
  }
}

/** What the checks need besides the settings: the container's limits. */
export interface CheckInput {
  readonly memoryBytes: number;
  readonly postgresMajor: number;
  readonly walDiskBudgetBytes?: number;
  readonly shmSizeBytes: number;
  readonly nofileLimit: number;
}

export interface Finding {
  readonly level: "error" | "warning";
  readonly message: string;
}

/** A setting as the checks see it: its value and who set it (for messages about unparseable overrides). */
export interface SettingValue {
  readonly value: string;
  readonly source: string;
}

/** Floors the container limits must meet for the checks to pass without an error. */
export interface Floors {
  readonly shmSizeBytes: number;
  readonly nofileLimit: number;
}

export interface CheckResult {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly floors: Floors;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing setting values (PostgreSQL syntax: units are case-sensitive, 1kB = 1024 B; a bare number is in the
// setting's own unit, e.g. 8kB pages for shared_buffers, kB for work_mem, MB for max_wal_size).
// ---------------------------------------------------------------------------------------------------------------

const PG_MEMORY_UNITS: Readonly<Record<string, number>> = { B: 1, kB: KiB, MB: MiB, GB: GiB, TB: TiB };
const PG_MEMORY = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?\s*$/;
const PG_INTEGER = /^\s*(\d+)\s*$/;
const PG_REAL = /^\s*(\d+(?:\.\d+)?)\s*$/;

/** PostgreSQL's defaults for settings the tuning does not emit but the checks read. */
const PG_DEFAULTS: Readonly<Record<string, string>> = {
  max_files_per_process: "1000",
  hash_mem_multiplier: "2.0", // PostgreSQL 15+ default
};

/** Read access to the final settings, parsing values in PostgreSQL syntax; unparseable values are errors. */
export class SettingValues {
  constructor(private readonly settings: ReadonlyMap<string, SettingValue>) {}

  raw(name: string): string {
    const s = this.settings.get(name);
    if (s) return s.value.trim();
    const d = PG_DEFAULTS[name];
    if (d === undefined) throw new TuningError(`internal: no value for ${name} (needed by the checks)`);
    return d;
  }

  /** A memory size in bytes; a bare number is in `bareUnit` bytes (PostgreSQL's unit for that setting). */
  bytes(name: string, bareUnit: number, purpose: string): number {
    const m = PG_MEMORY.exec(this.raw(name));
    if (!m) throw this.unparseable(name, "a PostgreSQL memory size such as 64kB, 512MB or 2GB (units kB, MB, GB, TB are case-sensitive)", purpose);
    return Math.round(Number(m[1]) * (m[2] ? PG_MEMORY_UNITS[m[2]] : bareUnit));
  }

  int(name: string, purpose: string): number {
    const m = PG_INTEGER.exec(this.raw(name));
    if (!m) throw this.unparseable(name, "a whole number", purpose);
    return Number(m[1]);
  }

  real(name: string, purpose: string): number {
    const m = PG_REAL.exec(this.raw(name));
    if (!m) throw this.unparseable(name, "a number such as 2.0", purpose);
    return Number(m[1]);
  }

  private unparseable(name: string, expected: string, purpose: string): TuningError {
    const source = this.settings.get(name)?.source ?? "PostgreSQL default";
    return new TuningError(`${name}=${JSON.stringify(this.raw(name))} (${source}) is not ${expected}; the ${purpose} check needs it`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Memory budget.
// ---------------------------------------------------------------------------------------------------------------

/**
 * Share of the container memory limit the budget may take. The other 10% is for what the formula does not count:
 * each backend's own process memory (catalog and plan caches, a few MB each), the postmaster and background
 * workers, and /dev/shm and page-cache pages the kernel charges to the container's cgroup.
 */
export const BUDGET_SHARE = 0.9;

/** The memory budget's terms except autovacuum_max_workers (which the tuning derives from the room left). */
export interface BudgetTerms {
  readonly sharedBuffers: number;
  readonly walBuffers: number;
  readonly maintenanceWorkMem: number;
  /** Effective: autovacuum_work_mem, or maintenance_work_mem when autovacuum_work_mem is -1 (PostgreSQL's rule). */
  readonly autovacuumWorkMem: number;
  readonly maxConnections: number;
  readonly workMem: number;
}

const BUDGET = "memory budget";

export function budgetTerms(v: SettingValues): BudgetTerms {
  const sharedBuffers = v.bytes("shared_buffers", 8 * KiB, BUDGET);
  const maintenanceWorkMem = v.bytes("maintenance_work_mem", KiB, BUDGET);
  return {
    sharedBuffers,
    walBuffers: walBuffersBytes(v, sharedBuffers),
    maintenanceWorkMem,
    autovacuumWorkMem: v.raw("autovacuum_work_mem") === "-1" ? maintenanceWorkMem : v.bytes("autovacuum_work_mem", KiB, BUDGET),
    maxConnections: v.int("max_connections", BUDGET),
    workMem: v.bytes("work_mem", KiB, BUDGET),
  };
}

/** wal_buffers = -1 means 1/32 of shared_buffers, at least 64kB and at most one 16MB WAL segment. */
function walBuffersBytes(v: SettingValues, sharedBuffers: number): number {
  if (v.raw("wal_buffers") === "-1") return Math.min(16 * MiB, Math.max(64 * KiB, Math.floor(sharedBuffers / 32)));
  return v.bytes("wal_buffers", 8 * KiB, BUDGET);
}

/** Everything in the budget but autovacuum: shared memory, one maintenance job, and one work_mem per connection. */
export function budgetWithoutAutovacuum(t: BudgetTerms): number {
  return t.sharedBuffers + t.walBuffers + t.maintenanceWorkMem + t.maxConnections * t.workMem;
}

export function budgetAllowance(memoryBytes: number): number {
  return Math.floor(memoryBytes * BUDGET_SHARE);
}

/**
 * ERROR. Budget = shared_buffers + wal_buffers + maintenance_work_mem + autovacuum_max_workers × autovacuum_work_mem
 * + max_connections × work_mem, at most 90% of the container limit. work_mem is per sort/hash node (a complex query
 * or a parallel one takes several, hash nodes up to hash_mem_multiplier × work_mem), so this is not a worst case,
 * which is unbounded; it is the usual planning figure (every connection running one sort at once) and it must fit,
 * because past the cgroup limit the kernel OOM-kills a backend and the postmaster restarts every session.
 */
function checkMemoryBudget(v: SettingValues, input: CheckInput): Finding[] {
  const t = budgetTerms(v);
  const workers = v.int("autovacuum_max_workers", BUDGET);
  const total = budgetWithoutAutovacuum(t) + workers * t.autovacuumWorkMem;
  const allowed = budgetAllowance(input.memoryBytes);
  if (total <= allowed) return [];
  const av = v.raw("autovacuum_work_mem") === "-1" ? `-1 (= maintenance_work_mem ${v.raw("maintenance_work_mem")})` : v.raw("autovacuum_work_mem");
  return [error(
    `memory budget ${formatBytes(total)} exceeds ${BUDGET_SHARE * 100}% of the ${formatBytes(input.memoryBytes)} container limit (${formatBytes(allowed)}): ` +
      `shared_buffers ${v.raw("shared_buffers")} + wal_buffers ${v.raw("wal_buffers")} + maintenance_work_mem ${v.raw("maintenance_work_mem")} + ` +
      `autovacuum_max_workers ${workers} × autovacuum_work_mem ${av} + max_connections ${t.maxConnections} × work_mem ${v.raw("work_mem")}`,
  )];
}

/**
 * WARNING. shared_buffers outside 15%–40% of the limit: below, the server under-uses its memory; above, pages are
 * cached twice (shared_buffers and the kernel's page cache) and checkpoints write more. Both are performance, not
 * failure; an oversized shared_buffers that does not fit is the budget check's error.
 */
function checkSharedBuffersShare(v: SettingValues, input: CheckInput): Finding[] {
  const share = v.bytes("shared_buffers", 8 * KiB, "shared_buffers share") / input.memoryBytes;
  if (share >= 0.15 && share <= 0.4) return [];
  return [warning(
    `shared_buffers ${v.raw("shared_buffers")} is ${(share * 100).toFixed(1)}% of the ${formatBytes(input.memoryBytes)} container limit; ` +
      `keep it within 15%–40% (timescaledb-tune uses 25%)`,
  )];
}

/**
 * WARNING. autovacuum_max_workers below PostgreSQL's default 3 (the tuning derives it from the room the budget
 * leaves): with many TimescaleDB chunks vacuum falls behind, which is bloat, not failure.
 */
function checkAutovacuumWorkers(v: SettingValues): Finding[] {
  const workers = v.int("autovacuum_max_workers", "autovacuum workers");
  if (workers >= 3) return [];
  return [warning(
    `autovacuum_max_workers ${workers} is below PostgreSQL's default 3 because the memory budget leaves no more room for ` +
      `autovacuum_work_mem ${v.raw("autovacuum_work_mem")} each; give the container more memory or lower max_connections or work_mem`,
  )];
}

// ---------------------------------------------------------------------------------------------------------------
// Workers.
// ---------------------------------------------------------------------------------------------------------------

/** Checkpointer, WAL writer and autovacuum launcher et al. (timescaledb-tune parallel.go minBuiltInProcesses). */
export const BUILT_IN_WORKERS = 3;
const WORKERS = "worker slots";

/**
 * ERROR. max_worker_processes >= 3 + timescaledb.max_background_workers + max_parallel_workers. Short of slots,
 * TimescaleDB's scheduler cannot start its jobs (compression, retention, continuous aggregates) and logs "out of
 * background worker slots"; the jobs silently stop running, so this is an error, not a warning.
 */
function checkWorkerSlots(v: SettingValues): Finding[] {
  const slots = v.int("max_worker_processes", WORKERS);
  const bg = v.int("timescaledb.max_background_workers", WORKERS);
  const parallel = v.int("max_parallel_workers", WORKERS);
  const need = BUILT_IN_WORKERS + bg + parallel;
  if (slots >= need) return [];
  return [error(
    `max_worker_processes ${slots} < ${BUILT_IN_WORKERS} + timescaledb.max_background_workers ${bg} + max_parallel_workers ${parallel} = ${need}: ` +
      `TimescaleDB jobs would run out of background worker slots`,
  )];
}

/**
 * WARNING. A per-query or maintenance parallel limit above max_parallel_workers: PostgreSQL silently caps it, so the
 * setting does not do what it says, but nothing fails.
 */
function checkParallelCaps(v: SettingValues): Finding[] {
  const pool = v.int("max_parallel_workers", WORKERS);
  return ["max_parallel_workers_per_gather", "max_parallel_maintenance_workers"].flatMap((name) => {
    const n = v.int(name, WORKERS);
    return n > pool ? [warning(`${name} ${n} > max_parallel_workers ${pool}: PostgreSQL caps it at ${pool}`)] : [];
  });
}

/** ERROR. shared_preload_libraries must load timescaledb; without it the extension cannot be created or run jobs. */
function checkPreload(v: SettingValues): Finding[] {
  const libs = v.raw("shared_preload_libraries").replace(/^'|'$/g, "").split(",").map((s) => s.trim().replace(/^"|"$/g, ""));
  if (libs.includes("timescaledb")) return [];
  return [error(`shared_preload_libraries=${JSON.stringify(v.raw("shared_preload_libraries"))} does not include timescaledb`)];
}

// ---------------------------------------------------------------------------------------------------------------
// WAL.
// ---------------------------------------------------------------------------------------------------------------

/** initdb's default WAL segment size; the image does not change it. */
export const WAL_SEGMENT = 16 * MiB;
const WAL = "WAL size";

/**
 * ERRORS. PostgreSQL refuses to start when min_wal_size or max_wal_size is below two WAL segments (32MB).
 * min_wal_size > max_wal_size is inconsistent (WAL is recycled up to min but checkpoints trigger at max). With a
 * WAL disk budget, max_wal_size above it lets WAL fill the disk set aside (timescaledb-tune uses 60% of it).
 */
function checkWal(v: SettingValues, input: CheckInput): Finding[] {
  const min = v.bytes("min_wal_size", MiB, WAL);
  const max = v.bytes("max_wal_size", MiB, WAL);
  const out: Finding[] = [];
  for (const [name, bytes] of [["min_wal_size", min], ["max_wal_size", max]] as const) {
    if (bytes < 2 * WAL_SEGMENT) out.push(error(`${name} ${v.raw(name)} < 2 × wal_segment_size 16MB = 32MB: PostgreSQL will not start`));
  }
  if (min > max) out.push(error(`min_wal_size ${v.raw("min_wal_size")} > max_wal_size ${v.raw("max_wal_size")}`));
  const budget = input.walDiskBudgetBytes;
  if (budget !== undefined && max > budget) {
    out.push(error(`max_wal_size ${v.raw("max_wal_size")} > walDiskBudget ${formatBytes(budget)}: WAL would fill the disk set aside for it`));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Container limits: /dev/shm and open files.
// ---------------------------------------------------------------------------------------------------------------

/** Docker's default shm_size; enough for the small dynamic shared memory segments (stats, tuple queues). */
export const SHM_BASE = 64 * MiB;
const SHM = "shm_size";

/**
 * PostgreSQL's dynamic shared memory (dynamic_shared_memory_type=posix) lives in /dev/shm; shared_buffers does not
 * (it is anonymous mmap, charged to the cgroup, so it is the budget check's business). The floor is Docker's 64MB
 * plus what parallel hash joins take when the whole parallel pool is busy: each parallel query's shared hash table
 * may grow to work_mem × hash_mem_multiplier per participant, and the participants are the max_parallel_workers
 * workers plus one leader per concurrent parallel query (max_parallel_workers / max_parallel_workers_per_gather).
 */
export function shmFloor(v: SettingValues): number {
  const perGather = v.int("max_parallel_workers_per_gather", SHM);
  const pool = v.int("max_parallel_workers", SHM);
  if (perGather === 0 || pool === 0) return SHM_BASE;
  const participants = pool + Math.ceil(pool / perGather);
  const hash = participants * v.bytes("work_mem", KiB, SHM) * v.real("hash_mem_multiplier", SHM);
  return SHM_BASE + Math.ceil(hash);
}

/**
 * ERROR below shmFloor: parallel hash joins routinely fill their share, and then fail with "could not resize shared
 * memory segment ... No space left on device". WARNING on PostgreSQL 15/16 below floor + min(maintenance_work_mem,
 * 1GB) when max_parallel_maintenance_workers > 0: a manual VACUUM of a large table with 2+ indexes allocates its
 * dead-tuple array in /dev/shm up front. PostgreSQL 17 keeps dead tuples in a TidStore that grows on demand and is
 * far smaller, so it is not counted there.
 */
function checkShm(v: SettingValues, input: CheckInput, floor: number): Finding[] {
  const shm = input.shmSizeBytes;
  const terms = `64MB base + (max_parallel_workers ${v.raw("max_parallel_workers")} + one leader per ` +
    `max_parallel_workers_per_gather ${v.raw("max_parallel_workers_per_gather")}) × work_mem ${v.raw("work_mem")} × ` +
    `hash_mem_multiplier ${v.raw("hash_mem_multiplier")}`;
  if (shm < floor) {
    return [error(`shm_size ${formatBytes(shm)} < ${formatBytes(floor)} of /dev/shm that parallel query needs: ${terms}`)];
  }
  if (input.postgresMajor >= 17 || v.int("max_parallel_maintenance_workers", SHM) === 0) return [];
  const vacuum = Math.min(v.bytes("maintenance_work_mem", KiB, SHM), GiB);
  if (shm >= floor + vacuum) return [];
  return [warning(
    `shm_size ${formatBytes(shm)} < ${formatBytes(floor + vacuum)}: ${terms} + parallel VACUUM's dead-tuple array ` +
      `min(maintenance_work_mem ${v.raw("maintenance_work_mem")}, 1GB) on PostgreSQL ${input.postgresMajor}`,
  )];
}

/**
 * The open-files limit (RLIMIT_NOFILE) is per process, and every backend is its own process: connections do not add
 * up against it (their sum is the host's fs.file-max business, which a container cannot see). What matters is that
 * one backend may keep max_files_per_process (1000) files open; below that PostgreSQL caps itself (see
 * set_max_safe_fds in fd.c), and below FD_MINFREE 48 + NUM_RESERVED_FDS 10 + the descriptors open at startup the
 * postmaster refuses to start.
 */
export const NOFILE_MINIMUM = 128;

/**
 * ERROR below 128 (the postmaster exits with "insufficient file descriptors available to start server process").
 * WARNING below max_files_per_process: PostgreSQL lowers its own cap and queries touching many chunks and indexes
 * reopen files more often, which is slower, not broken.
 */
function checkNofile(v: SettingValues, input: CheckInput): Finding[] {
  const perProcess = v.int("max_files_per_process", "nofile");
  const n = input.nofileLimit;
  if (n < NOFILE_MINIMUM) {
    return [error(`ulimit nofile ${n} < ${NOFILE_MINIMUM}: PostgreSQL needs FD_MINFREE 48 + NUM_RESERVED_FDS 10 + its startup descriptors per process and will not start`)];
  }
  if (n < perProcess) {
    return [warning(`ulimit nofile ${n} < max_files_per_process ${perProcess}: each backend is capped below the files PostgreSQL may keep open`)];
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------------------

/** Runs every check over the final settings. Throws a TuningError only when a value the checks need is unparseable. */
export function runChecks(settings: ReadonlyMap<string, SettingValue>, input: CheckInput): CheckResult {
  const v = new SettingValues(settings);
  const shm = shmFloor(v);
  const findings = [
    ...checkPreload(v),
    ...checkMemoryBudget(v, input),
    ...checkSharedBuffersShare(v, input),
    ...checkAutovacuumWorkers(v),
    ...checkWorkerSlots(v),
    ...checkParallelCaps(v),
    ...checkWal(v, input),
    ...checkShm(v, input, shm),
    ...checkNofile(v, input),
  ];
  return {
    errors: findings.filter((f) => f.level === "error").map((f) => f.message),
    warnings: findings.filter((f) => f.level === "warning").map((f) => f.message),
    floors: { shmSizeBytes: shm, nofileLimit: NOFILE_MINIMUM },
  };
}

function error(message: string): Finding {
  return { level: "error", message };
}

function warning(message: string): Finding {
  return { level: "warning", message };
}
