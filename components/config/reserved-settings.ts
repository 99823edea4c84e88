/**
 * `postgresSettings` entries the deployment itself relies on. Each is a value PostgreSQL accepts (pg-settings.ts lets
 * it through) but that breaks this deployment: the server does not start, a sidecar or exporter cannot connect, logins
 * or TimescaleDB's jobs stop, or the log fills with statements. They are refused at preview with one line naming
 * `postgresSettings.<name>`, the value and what to do instead. Pure: no Pulumi, no I/O.
 *
 * The list, with the reasons, is documented for users in docs/configuration-postgres-settings.md (a test checks that
 * every entry here is there).
 */
import { numericSetting, parseBool } from "../tuning/pg-settings";

/** What the rules need besides the value. */
export interface ReservedContext {
  readonly postgresMajor: number;
  /** The exporters are on (monitoringEnabled): pg_stat_statements must be loaded and collecting. */
  readonly monitoring: boolean;
  /** The stack's maxConnections, which the tuning writes as max_connections. */
  readonly maxConnections: number;
  /** Every postgresSettings entry, for the rules that read two settings together. */
  readonly settings: Readonly<Record<string, string>>;
}

export interface ReservedSetting {
  /** The setting as PostgreSQL spells it. */
  readonly name: string;
  /** What is refused, for the documentation. */
  readonly refused: string;
  /** Undefined when `value` is fine here, else what is expected instead (the `expected ...` of the message). */
  readonly check: (value: string, ctx: ReservedContext) => string | undefined;
}

/** The server's port inside the container, where every client of this deployment connects. */
const CONTAINER_PORT = 5432;

/**
 * timescaledb.max_background_workers is TimescaleDB's pool for its launcher, one scheduler per database and the jobs
 * (timescale/timescaledb src/loader/bgw_launcher.c: the launcher takes a slot first, ts_bgw_total_workers_increment
 * in ts_bgw_cluster_launcher_main; each scheduler takes one, line 543; every job run reserves one, src/bgw/scheduler.c
 * ts_bgw_worker_reserve). Schedulers start in every database that allows connections and is no template (line 507):
 * `postgres` and the stack's database, both of which the image's init script gives the extension
 * (timescale/timescaledb-docker docker-entrypoint-initdb.d/000_install_timescaledb.sh). So 1 + 2 + 1 is the fewest
 * with which any compression, reorder or retention job runs at all.
 */
export const MIN_TIMESCALEDB_BACKGROUND_WORKERS = 4;

/** The libraries of a shared_preload_libraries value (a comma-separated list, each name possibly double-quoted). */
export function preloadList(value: string): string[] {
  return value
    .replace(/^'|'$/g, "")
    .split(",")
    .map((s) => s.trim().replace(/^"|"$/g, ""))
    .filter((s) => s !== "");
}

const isOn = (value: string) => parseBool(value.trim()) === true;

/**
 * Sources of the reasons: the server image is timescale/timescaledb-docker's (Dockerfile `FROM postgres:<major>-alpine`)
 * over docker-library/postgres, whose Dockerfile-alpine.template sets `listen_addresses = '*'` in the sample
 * postgresql.conf (line 218) and compiles the socket directory to /var/run/postgresql (lines 123-125), and whose
 * docker-entrypoint.sh runs every init step through `PGHOST= psql` (docker_process_sql), i.e. through that socket,
 * against a temporary server started with the stack's own flags (docker_temp_server_start). PostgreSQL 15 itself
 * showed the failures of ssl=on, the reserved connections and md5 (test/database/reserved-settings.test.ts).
 */
export const RESERVED_SETTINGS: readonly ReservedSetting[] = [
  {
    name: "port",
    refused: "any value",
    check: () =>
      `no port entry: the server listens on ${CONTAINER_PORT} inside the container, where the published port, the health check, the backup sidecar and the exporters connect; set hostPort to publish it on another host port`,
  },
  {
    name: "listen_addresses",
    refused: "any value",
    check: () =>
      "no listen_addresses entry: the image's postgresql.conf listens on every interface ('*'), which the backup sidecar and the exporters (over the stack's network) and the health check (over 127.0.0.1) need; set bindAddress to choose where the host publishes the port",
  },
  {
    name: "ssl",
    refused: "on (true, yes, 1)",
    check: (v) => (isOn(v) ? "ssl off (or no ssl entry): the image has no server certificate, so with ssl on PostgreSQL exits at start and the container restarts in a loop" : undefined),
  },
  ...["data_directory", "config_file", "hba_file", "ident_file"].map(
    (name): ReservedSetting => ({
      name,
      refused: "any value",
      check: () =>
        `no ${name} entry: the deployment keeps the cluster, its postgresql.conf and its pg_hba.conf (the SCRAM-only rules the image writes at init) in the data volume; another file or directory would start the server with other rules, or outside the volume that destroy and backups keep`,
    }),
  ),
  {
    name: "unix_socket_directories",
    refused: "any value",
    check: () =>
      "no unix_socket_directories entry: the image's entrypoint and init scripts connect through the socket in /var/run/postgresql, and first-time initialisation fails without it",
  },
  {
    name: "password_encryption",
    refused: "anything but scram-sha-256",
    check: (v) =>
      v.trim().toLowerCase() === "scram-sha-256"
        ? undefined
        : "scram-sha-256 (or no password_encryption entry): pg_hba.conf accepts SCRAM-SHA-256 logins only, so a password stored as md5 could never log in",
  },
  {
    name: "max_connections",
    refused: "any value",
    check: () => "no max_connections entry: set maxConnections instead; work_mem and the memory budget are sized from it",
  },
  {
    name: "shared_preload_libraries",
    refused: "a list without timescaledb, or without pg_stat_statements while monitoringEnabled is true",
    check: (v, ctx) => {
      const libs = preloadList(v);
      const need = ["timescaledb", ...(ctx.monitoring ? ["pg_stat_statements"] : [])];
      const missing = need.filter((lib) => !libs.includes(lib));
      if (missing.length === 0) return undefined;
      const why = missing.includes("timescaledb")
        ? "TimescaleDB must be preloaded, or the extension cannot load and no policy job runs"
        : "monitoringEnabled is true, and the exporters read pg_stat_statements, which works only when preloaded";
      return `a list that includes ${need.join(" and ")} (this entry replaces the deployment's whole list, e.g. ${JSON.stringify([...need, ...libs.filter((l) => !need.includes(l))].join(","))}): ${why}`;
    },
  },
  {
    name: "timescaledb.max_background_workers",
    refused: `below ${MIN_TIMESCALEDB_BACKGROUND_WORKERS}`,
    check: (v, ctx) => {
      const n = numericSetting(ctx.postgresMajor, "timescaledb.max_background_workers", v);
      if (n === undefined || n >= MIN_TIMESCALEDB_BACKGROUND_WORKERS) return undefined;
      return `at least ${MIN_TIMESCALEDB_BACKGROUND_WORKERS} (or no entry: 16): TimescaleDB's launcher and the schedulers of the postgres and crypto_scout databases take 3 of these workers, and each compression, reorder or retention job needs one more; with fewer no policy ever runs`;
    },
  },
  {
    name: "timescaledb.restoring",
    refused: "on",
    check: (v) => (isOn(v) ? "off (or no entry): with timescaledb.restoring on, TimescaleDB starts no scheduler, so no compression, reorder or retention job runs; set it only in a restore session" : undefined),
  },
  {
    name: "wal_level",
    refused: "minimal",
    check: (v) => (v.trim().toLowerCase() === "minimal" ? "replica or logical (or no entry: replica): WAL archiving, base backups and point-in-time recovery need at least replica" : undefined),
  },
  {
    name: "log_statement",
    refused: "all and mod",
    check: (v) =>
      ["all", "mod"].includes(v.trim().toLowerCase())
        ? "none or ddl (or no entry: none): all and mod write every INSERT of the ingest path, with its values, to the container log, whose rotation (logMaxSize × logMaxFiles) then pushes out the errors and slow statements an operator needs within minutes; log_min_duration_statement (500ms) already logs the slow ones"
        : undefined,
  },
  {
    name: "log_min_duration_statement",
    refused: "0 (every statement)",
    check: (v, ctx) =>
      numericSetting(ctx.postgresMajor, "log_min_duration_statement", v) === 0
        ? "-1, or a threshold above 0 such as 500ms (the default here): 0 logs every statement with its text, as log_statement all does"
        : undefined,
  },
  {
    name: "default_transaction_read_only",
    refused: "on",
    check: (v) => (isOn(v) ? "off (or no entry): the schema stage, the writer role and TimescaleDB's policy jobs all write" : undefined),
  },
  {
    name: "superuser_reserved_connections",
    refused: "maxConnections or more (with reserved_connections)",
    check: (v, ctx) => reservedConnections(v, ctx, "superuser_reserved_connections"),
  },
  {
    name: "reserved_connections",
    refused: "maxConnections or more (with superuser_reserved_connections)",
    check: (v, ctx) => reservedConnections(v, ctx, "reserved_connections"),
  },
  {
    name: "compute_query_id",
    refused: "off while monitoringEnabled is true",
    check: (v, ctx) =>
      ctx.monitoring && ["off", "false", "no", "0"].includes(v.trim().toLowerCase())
        ? "auto or on (or no entry: auto) while monitoringEnabled is true: without query ids pg_stat_statements records nothing, and the exporters' statement metrics stay empty"
        : undefined,
  },
  {
    name: "pg_stat_statements.track",
    refused: "none while monitoringEnabled is true",
    check: (v, ctx) =>
      ctx.monitoring && v.trim().toLowerCase() === "none"
        ? "top or all (or no entry: top) while monitoringEnabled is true: none records nothing, and the exporters' statement metrics stay empty"
        : undefined,
  },
];

/**
 * PostgreSQL refuses to start unless superuser_reserved_connections (default 3) + reserved_connections (16+, default
 * 0) < max_connections (src/backend/postmaster/postmaster.c PostmasterMain: 16 and 17 "superuser_reserved_connections
 * (%d) plus reserved_connections (%d) must be less than max_connections (%d)", 15 the same without
 * reserved_connections).
 */
function reservedConnections(value: string, ctx: ReservedContext, name: string): string | undefined {
  const entry = (setting: string, fallback: number) => {
    const written = Object.entries(ctx.settings).find(([n]) => n.toLowerCase().replace(/-/g, "_") === setting)?.[1];
    return written === undefined ? fallback : numericSetting(ctx.postgresMajor, setting, written);
  };
  const superuser = name === "superuser_reserved_connections" ? numericSetting(ctx.postgresMajor, name, value) : entry("superuser_reserved_connections", 3);
  const others = name === "reserved_connections" ? numericSetting(ctx.postgresMajor, name, value) : entry("reserved_connections", 0);
  // A value PostgreSQL cannot parse is the setting validator's to refuse, with its own message.
  if (superuser === undefined || others === undefined || superuser + others < ctx.maxConnections) return undefined;
  return `a value that keeps superuser_reserved_connections ${superuser} + reserved_connections ${others} below maxConnections ${ctx.maxConnections}: PostgreSQL refuses to start otherwise`;
}

const BY_NAME = new Map(RESERVED_SETTINGS.map((s) => [s.name, s]));

/**
 * What is expected instead of `name = value`, when the deployment relies on that setting and the value breaks it;
 * undefined otherwise. Names match as PostgreSQL matches them (case-insensitive, "-" read as "_").
 */
export function reservedSettingProblem(name: string, value: string, ctx: ReservedContext): string | undefined {
  return BY_NAME.get(name.toLowerCase().replace(/-/g, "_"))?.check(value, ctx);
}
