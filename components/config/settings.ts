/**
 * Stack settings: the one place that reads stack config. Every key is read once, validated, and handed to the
 * components as a typed, frozen object; no component reads config itself.
 *
 * Defaults live in `Pulumi.yaml` (the project's config declarations; optional keys default to ""), which the Pulumi
 * CLI applies before the program runs; the tests and the tools apply them the same way (see `stack-files.ts`). So a
 * key that is missing here means the declaration is missing, and that is reported as such. A key of this project's
 * namespace that the program does not read is refused (a typo would otherwise run the stack on the default).
 */
import { isIP } from "node:net";
import { ConfigError, HiddenValue, RedactedValue, parseDuration, parseSize, redactSecrets, GiB, MiB, TiB } from "./units";
import { deepFreeze } from "../deep-freeze";
import { backupScheduleRule, SCHEDULE_RULE } from "../backup/schedule";
import { CONTAINER_ENGINES, DOCKER_NAME, DOCKER_NAME_RULE, dockerNames, type ContainerEngine, type DataLocation } from "../docker-common";
import { SUPPORTED_MAJORS, TuningError } from "../tuning";
import { cpusRoundTrip, dockerCpus } from "../docker-read-back";
import { readExternalServer, type ExternalServer } from "./external";
import { reservedSettingProblem } from "./reserved-settings";
import { hostPathProblem, nested, trimTrailingSlashes, type HostPathUse } from "./host-paths";
import { PRODUCTION_STACK, stackNamePrefix, stackPorts } from "./stack-names";
import { PITR_IMAGES, pitrRules } from "../backup/pitr";

/** Where the program reads raw config values from: `pulumi.Config` in a deployment, YAML files in the tools. */
export interface ConfigSource {
  /** The raw value of `key` (a string, number, boolean or object), or undefined when the stack does not set it. */
  get(key: string): unknown;
  /** Every key the stack sets in this project's namespace (without it), when the source can list them. */
  keys?(): readonly string[];
  /** Whether the stack keeps `key` as a secret (`pulumi config set --secret`); undefined when the source cannot tell. */
  isSecret?(key: string): boolean | undefined;
  /** Whether `key` is encrypted and this source cannot decrypt it (the tools reading stack files); `get` then throws. */
  isEncrypted?(key: string): boolean;
  /**
   * The stack's name, which the per-stack defaults of namePrefix and the host ports derive from (stack-names.ts).
   * A source that cannot tell (a test's map of values) gets prod's defaults.
   */
  readonly stack?: string;
}

/**
 * A ConfigSource over config as Pulumi hands it to a program: every value a string (`PULUMI_CONFIG`), object-valued
 * keys as JSON text. A malformed object value is handed on as the string it is, so validation names the key.
 */
export function configSourceFromStrings(
  get: (key: string) => string | undefined,
  keys?: () => readonly string[],
  secrecy: Pick<ConfigSource, "isSecret" | "isEncrypted" | "stack"> = {},
): ConfigSource {
  return {
    keys,
    ...secrecy,
    get(key: string): unknown {
      const raw = get(key);
      if (raw === undefined || !OBJECT_KEYS.includes(key as ConfigKey)) return raw;
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    },
  };
}

export interface Settings {
  /**
   * Set when the stack has a `databaseUrl` (external mode, issue 10): the database stage manages that server, and no
   * container, network, volume, backup sidecar or exporter is created. Undefined: the local container.
   */
  readonly external?: ExternalServer;
  /** Prefix for every Docker object this stack creates (network, containers, volumes). */
  readonly namePrefix: string;
  /** What answers the docker provider: decides the read-back forms to expect and the health wait's default. */
  readonly containerEngine: ContainerEngine;
  readonly timescaledbVersion: string;
  readonly postgresMajor: number;
  /** `timescale/timescaledb:<version>-pg<major>`. */
  readonly serverImage: string;
  /** `prodrigestivill/postgres-backup-local:<major>`. */
  readonly backupImage: string;
  readonly networkName: string;
  readonly database: string;
  readonly superuser: string;
  readonly bindAddress: string;
  readonly hostPort: number;
  readonly data: DataLocation;
  readonly memoryLimitBytes: number;
  readonly cpus: number;
  readonly maxConnections: number;
  readonly shmSizeBytes: number;
  readonly nofileLimit: number;
  readonly walDiskBudgetBytes?: number;
  /** Explicit PostgreSQL settings for this stack; they win over the seed's values and the tuning rules. */
  readonly postgresSettings: Readonly<Record<string, string>>;
  readonly stopGracePeriodSeconds: number;
  readonly waitForHealthy: boolean;
  readonly readyTimeoutSeconds: number;
  readonly logMaxSizeBytes: number;
  readonly logMaxFiles: number;
  readonly backup: {
    readonly enabled: boolean;
    readonly schedule: string;
    readonly keepDays: number;
    readonly keepWeeks: number;
    readonly keepMonths: number;
    readonly location: DataLocation;
    readonly healthPort: number;
  };
  /** Metrics exporters beside the server (issue 9): on by default, their ports published like the database's. */
  readonly monitoring: {
    readonly enabled: boolean;
    readonly bindAddress: string;
    readonly postgresExporterPort: number;
    readonly sqlExporterPort: number;
    /** The database size the disk alert measures growth against. */
    readonly databaseSizeBudgetBytes: number;
  };
  /**
   * Point-in-time recovery (docs/pitr.md): WAL streamed off the server and verified base backups, in a sidecar. On
   * by default for the local container; external servers are backed up by their service.
   */
  readonly pitr: {
    readonly enabled: boolean;
    /** `postgres:<major>.<minor>-alpine<version>`: the server's major's client binaries. */
    readonly image: string;
    readonly baseBackupIntervalSeconds: number;
    readonly keepBaseBackups: number;
    /** The server's max_slot_wal_keep_size, in MiB. */
    readonly slotWalKeepMiB: number;
    readonly location: DataLocation;
  };
  /** Opt-in: let `pulumi destroy` or a replace delete volumes and drop tables. Off by default. */
  readonly destroyDeletesData: boolean;
  /** Raw `tables` overrides (retention, compression and chunk windows per table), validated by the schema model. */
  readonly tableOverrides: unknown;
}

/**
 * Every config key the program reads, in the order of the README's reference. `declared` keys have a declaration
 * (type, default, description) in `Pulumi.yaml`; object-valued keys cannot be declared there and default in code.
 */
export const CONFIG_KEYS = [
  "namePrefix", "timescaledbVersion", "postgresMajor", "containerEngine", "bindAddress", "hostPort", "dataHostPath",
  "memoryLimit", "cpus", "maxConnections", "shmSize", "nofileLimit", "walDiskBudget", "postgresSettings",
  "stopGracePeriod", "waitForHealthy", "readyTimeout", "logMaxSize", "logMaxFiles",
  "backupEnabled", "backupSchedule", "backupKeepDays", "backupKeepWeeks", "backupKeepMonths", "backupHostPath",
  "backupHealthPort", "monitoringEnabled", "monitoringBindAddress", "postgresExporterPort", "sqlExporterPort", "databaseSizeBudget",
  "destroyDeletesData", "tables", "databaseUrl", "sslMode", "sslRootCert",
  "pitrEnabled", "pitrBaseBackupInterval", "pitrKeepBaseBackups", "pitrSlotWalKeep", "pitrHostPath",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Keys whose value is an object; Pulumi.yaml cannot declare these, so their default (empty) lives here. */
export const OBJECT_KEYS: readonly ConfigKey[] = ["postgresSettings", "tables"];
/**
 * Keys Pulumi.yaml does not declare: the object keys, and `databaseUrl`, a secret. A declaration with `secret: true`
 * makes the CLI refuse any stack that does not set it encrypted, and a default would be such an unencrypted value
 * (pulumi/pulumi pkg/workspace/config.go mergeConfig: "must be encrypted as it's secret"); without a default, every
 * local stack would have to set it. Undeclared, the CLI passes it through and `loadSettings` checks it.
 */
export const UNDECLARED_KEYS: readonly ConfigKey[] = [...OBJECT_KEYS, "databaseUrl"];
/** Keys whose declared default is "", meaning unset: the feature they control is then off or derived. */
export const OPTIONAL_KEYS: readonly ConfigKey[] = ["namePrefix", "dataHostPath", "walDiskBudget", "backupHostPath", "sslMode", "sslRootCert", "pitrHostPath"];
/** Host ports whose declared default is 0, meaning derived from the stack name (stack-names.ts `stackPorts`). */
export const DERIVED_PORT_KEYS: readonly ConfigKey[] = ["hostPort", "postgresExporterPort", "sqlExporterPort"];


/** Release numbers as comparable tuples. */
const release = (v: string) => v.split(".").map(Number);
const atLeast = (v: string, min: string) => {
  const [a, b] = [release(v), release(min)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

/**
 * Which TimescaleDB releases exist for each supported PostgreSQL major (timescale/timescaledb CHANGELOG.md: 2.13.0
 * "Full PostgreSQL 16 support", 2.17.0 "adds support for PostgreSQL 17", 2.29.0 "removes support for PostgreSQL 15").
 */
const TIMESCALEDB_RELEASES_FOR_MAJOR: Readonly<Record<number, { has(v: string): boolean; text: string }>> = {
  15: { has: (v) => !atLeast(v, "2.29.0"), text: "PostgreSQL 15 up to TimescaleDB 2.28.x" },
  16: { has: (v) => atLeast(v, "2.13.0"), text: "PostgreSQL 16 from TimescaleDB 2.13.0" },
  17: { has: (v) => atLeast(v, "2.17.0"), text: "PostgreSQL 17 from TimescaleDB 2.17.0" },
};

/**
 * The longest stopGracePeriod and readyTimeout: the server component's own bounds (TimescaleServer, DatabaseStage:
 * whole seconds up to a day), checked here first so the refusal names the key and the value as written.
 */
const MAX_WAIT_SECONDS = 86400;
/** The largest size any size key takes: Docker and the tuning take whole bytes as safe integers (below 8 PiB). */
const MAX_SIZE = 1024 * TiB;

const DATA_PATH_USE: HostPathUse = {
  what: "the data",
  example: "/srv/crypto-scout/data",
  effect: "the server image's entrypoint re-owns the whole directory to its postgres user",
};
const BACKUP_PATH_USE: HostPathUse = {
  what: "the backups",
  example: "/srv/crypto-scout/backups",
  effect: "the backup sidecar creates its folders there and deletes old dumps",
};
const PITR_PATH_USE: HostPathUse = {
  what: "the WAL archive and base backups",
  example: "/srv/crypto-scout/pitr",
  effect: "the archiver re-owns it and removes WAL older than the oldest kept base backup",
};

/**
 * Reads and validates every key. Throws one ConfigError (one line) for the first bad value, showing no secret (see
 * `withoutSecrets`).
 */
export function loadSettings(source: ConfigSource): Settings {
  return withoutSecrets(source, () => readSettings(source));
}

/**
 * Runs `read`; an input error it throws (ConfigError, TuningError) comes out showing no secret, whatever the key or the
 * shape it came in: the value of a key the stack keeps secret is not shown, any URL password is masked
 * (`redactSecrets`), and the values of every secret key are masked wherever they appear in the message (a message
 * about one key may quote another's value). Other errors pass unchanged.
 */
export function withoutSecrets<T>(source: ConfigSource, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof ConfigError || e instanceof TuningError)) throw e;
    const secrets = secretValues(source);
    const scrub = (text: string) => secrets.reduce(maskSecret, redactSecrets(text));
    if (e instanceof TuningError) throw new TuningError(scrub(e.message), e.problems.map(scrub));
    const shown = e.value instanceof HiddenValue || e.value instanceof RedactedValue || !source.isSecret?.(e.key.split(".")[0]);
    const hidden = shown ? e.value : new HiddenValue("the stack keeps it secret");
    const error = new ConfigError(e.key, hidden, e.allowed);
    error.message = scrub(error.message);
    throw error;
  }
}

/**
 * `text` with `secret` masked: everywhere for a secret of 4 characters or more, as a whole word for a shorter one
 * (masking "on" inside "connections" would only garble the message). A 1-character value is not masked.
 */
function maskSecret(text: string, secret: string): string {
  if (secret.length >= 4) return text.split(secret).join("***");
  if (secret.length < 2) return text;
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`, "g"), "***");
}

/** The texts of the stack's secret values (each string in them, also as JSON escapes it), longest first. */
function secretValues(source: ConfigSource): string[] {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === "string") {
      for (const form of [v, JSON.stringify(v).slice(1, -1)]) out.add(form);
    } else if (v && typeof v === "object") {
      for (const x of Object.values(v)) add(x);
    }
  };
  for (const key of source.keys?.() ?? []) {
    if (!source.isSecret?.(key) || source.isEncrypted?.(key)) continue;
    try {
      add(source.get(key));
    } catch {
      // A value that cannot be read cannot be in a message either.
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function readSettings(source: ConfigSource): Settings {
  rejectUnknownKeys(source);
  const r = new Reader(source);
  // Per-stack defaults (stack-names.ts): "" and 0 mean derived from the stack name, so no two stacks share names.
  const stack = source.stack ?? PRODUCTION_STACK;
  const namePrefix = r.derivedName("namePrefix", stackNamePrefix(stack));
  const ports = stackPorts(stack);
  const timescaledbVersion = r.string("timescaledbVersion", /^\d+\.\d+\.\d+$/, "a TimescaleDB release such as 2.29.2 (never 'latest')");
  const postgresMajor = r.oneOf("postgresMajor", SUPPORTED_MAJORS);
  const releases = TIMESCALEDB_RELEASES_FOR_MAJOR[postgresMajor];
  if (releases && !releases.has(timescaledbVersion)) {
    throw new ConfigError("postgresMajor", source.get("postgresMajor"), `a PostgreSQL major that TimescaleDB ${timescaledbVersion} is built for (${releases.text}; the image timescale/timescaledb:${timescaledbVersion}-pg${postgresMajor} does not exist)`);
  }
  const containerEngine = r.required("containerEngine", (v) => CONTAINER_ENGINES.includes(v as ContainerEngine), CONTAINER_ENGINES.join(" or ")) as ContainerEngine;
  const bindAddress = r.address("bindAddress", "an IPv4 or IPv6 address such as 127.0.0.1 (0.0.0.0 publishes on every interface)");
  const dataHostPath = r.optionalPath("dataHostPath", DATA_PATH_USE);
  const backupHostPath = r.optionalPath("backupHostPath", BACKUP_PATH_USE);
  const pitrHostPath = r.optionalPath("pitrHostPath", PITR_PATH_USE);
  const walDisk = source.get("walDiskBudget");
  const names = dockerNames(namePrefix);
  const external = readExternalServer({
    databaseUrl: { value: source.isEncrypted?.("databaseUrl") ? undefined : source.get("databaseUrl"), secret: source.isSecret?.("databaseUrl"), encrypted: source.isEncrypted?.("databaseUrl") ?? false },
    sslMode: source.get("sslMode"),
    sslRootCert: source.get("sslRootCert"),
  });

  const settings: Settings = {
    ...(external ? { external } : {}),
    namePrefix,
    containerEngine,
    timescaledbVersion,
    postgresMajor,
    serverImage: `timescale/timescaledb:${timescaledbVersion}-pg${postgresMajor}`,
    backupImage: `prodrigestivill/postgres-backup-local:${postgresMajor}`,
    networkName: names.network,
    // The collector and the seed's init script expect these names; they are not per-stack settings.
    database: "crypto_scout",
    superuser: "crypto_scout_db",
    bindAddress,
    hostPort: r.port("hostPort", ports.hostPort),
    data: dataHostPath ? { kind: "hostPath", path: dataHostPath } : { kind: "volume", name: names.dataVolume },
    // Docker takes these three in whole MiB (the provider's memory, shm_size and log max-size): a fraction would be
    // rounded away, and the container would not get what the stack says.
    memoryLimitBytes: r.size("memoryLimit", 256 * MiB),
    cpus: r.cpus("cpus"),
    maxConnections: r.integer("maxConnections", 10, 10000),
    shmSizeBytes: r.size("shmSize", 64 * MiB),
    nofileLimit: r.integer("nofileLimit", 1024, 1048576),
    walDiskBudgetBytes: walDisk === undefined || walDisk === "" ? undefined : r.optionalSize("walDiskBudget"),
    postgresSettings: r.stringMap("postgresSettings"),
    stopGracePeriodSeconds: r.seconds("stopGracePeriod", 0, MAX_WAIT_SECONDS),
    // Podman reports no health status without systemd timers, so waiting would time out (docs/podman.md).
    waitForHealthy: r.autoBoolean("waitForHealthy", containerEngine === "docker"),
    readyTimeoutSeconds: r.seconds("readyTimeout", 1, MAX_WAIT_SECONDS),
    logMaxSizeBytes: r.size("logMaxSize", MiB),
    logMaxFiles: r.integer("logMaxFiles", 1, 100),
    backup: {
      enabled: r.boolean("backupEnabled"),
      schedule: r.schedule("backupSchedule"),
      keepDays: r.integer("backupKeepDays", 0, 3650),
      keepWeeks: r.integer("backupKeepWeeks", 0, 520),
      keepMonths: r.integer("backupKeepMonths", 0, 120),
      location: backupHostPath ? { kind: "hostPath", path: backupHostPath } : { kind: "volume", name: names.backupVolume },
      healthPort: r.integer("backupHealthPort", 1, 65535),
    },
    monitoring: {
      enabled: r.boolean("monitoringEnabled"),
      bindAddress: r.address("monitoringBindAddress", "an IPv4 or IPv6 address such as 127.0.0.1"),
      postgresExporterPort: r.port("postgresExporterPort", ports.postgresExporterPort),
      sqlExporterPort: r.port("sqlExporterPort", ports.sqlExporterPort),
      databaseSizeBudgetBytes: r.size("databaseSizeBudget", 1 * GiB),
    },
    pitr: {
      // auto: on for the local container, off with databaseUrl (the service's own point-in-time recovery).
      enabled: r.autoBoolean("pitrEnabled", !external),
      image: PITR_IMAGES[postgresMajor],
      baseBackupIntervalSeconds: r.checked("pitrBaseBackupInterval", r.seconds("pitrBaseBackupInterval", 1, 366 * 86400), pitrRules.baseBackupIntervalSeconds),
      keepBaseBackups: r.checked("pitrKeepBaseBackups", r.integer("pitrKeepBaseBackups", 1, 100), pitrRules.keepBaseBackups),
      slotWalKeepMiB: r.checked("pitrSlotWalKeep", r.size("pitrSlotWalKeep", 1024 * MiB) / MiB, pitrRules.slotWalKeepMiB),
      location: pitrHostPath ? { kind: "hostPath", path: pitrHostPath } : { kind: "volume", name: names.pitrVolume },
    },
    destroyDeletesData: r.boolean("destroyDeletesData"),
    tableOverrides: source.get("tables") ?? {},
  };
  const published: Array<[ConfigKey, string, number]> = [["hostPort", settings.bindAddress, settings.hostPort]];
  if (settings.monitoring.enabled) {
    published.push(["postgresExporterPort", settings.monitoring.bindAddress, settings.monitoring.postgresExporterPort]);
    published.push(["sqlExporterPort", settings.monitoring.bindAddress, settings.monitoring.sqlExporterPort]);
  }
  for (const [i, [key, address, port]] of published.entries()) {
    const clash = published.slice(0, i).find(([, a, p]) => p === port && (a === address || [a, address].some((x) => x === "0.0.0.0" || x === "::")));
    if (clash) throw new ConfigError(key, port, `a host port other than ${clash[0]}'s (${clash[2]} on ${clash[1]}): Docker cannot publish both`);
  }
  if (external) {
    // Nothing runs on a Docker host in external mode; the service's own backups and metrics apply (README
    // "External server"). A stack that still asks for the sidecar or the exporters is told so, not silently ignored.
    if (settings.backup.enabled) {
      throw new ConfigError("backupEnabled", source.get("backupEnabled"), "false with databaseUrl: an external server is backed up by its service (Tiger Cloud: continuous backups with point-in-time recovery); `pulumi config set backupEnabled false`");
    }
    if (settings.pitr.enabled) {
      throw new ConfigError("pitrEnabled", source.get("pitrEnabled"), "false or auto with databaseUrl: an external server's point-in-time recovery is its service's (Tiger Cloud restores to any point in its retention window)");
    }
    if (settings.monitoring.enabled) {
      throw new ConfigError("monitoringEnabled", source.get("monitoringEnabled"), "false with databaseUrl: the exporters are containers on the local Docker host, which external mode does not use; `pulumi config set monitoringEnabled false`");
    }
  }
  // No two of the host directories may be the same or nested: each owner re-owns or prunes its own directory.
  const hostPaths: Array<[ConfigKey, string | undefined]> = [["dataHostPath", dataHostPath], ["backupHostPath", backupHostPath], ["pitrHostPath", pitrHostPath]];
  for (const [i, [key, path]] of hostPaths.entries()) {
    for (const [otherKey, other] of hostPaths.slice(0, i)) {
      if (!path || !other || !nested(other, path)) continue;
      const how = other === path ? "the same directory as" : path.startsWith(`${other}/`) ? "inside" : "a parent of";
      throw new ConfigError(key, source.get(key), `a directory outside ${otherKey} ${JSON.stringify(other)} and not containing it (this one is ${how} it: the server re-owns its whole data directory, the backup sidecar deletes old dumps in its own, and the archiver prunes old WAL in its own)`);
    }
  }
  for (const [name, value] of Object.entries(settings.postgresSettings)) {
    const problem = reservedSettingProblem(name, value, {
      postgresMajor,
      monitoring: settings.monitoring.enabled,
      maxConnections: settings.maxConnections,
      settings: settings.postgresSettings,
    });
    if (problem) throw new ConfigError(`postgresSettings.${name}`, value, problem);
  }
  if (pitrHostPath && (pitrHostPath === dataHostPath || pitrHostPath === backupHostPath)) {
    throw new ConfigError("pitrHostPath", pitrHostPath, `a directory other than ${pitrHostPath === dataHostPath ? "dataHostPath" : "backupHostPath"}`);
  }
  return deepFreeze(settings);
}

/**
 * A key of this project's namespace that the program does not read is a typo (`memorylimit`) or a leftover: the CLI
 * passes undeclared keys through unchecked, so without this the stack would silently run on the default.
 */
function rejectUnknownKeys(source: ConfigSource): void {
  for (const key of source.keys?.() ?? []) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) continue;
    const near = CONFIG_KEYS.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    // Never the value: a mistyped key may be a secret one (`databaseURL` holds a password), and the tools cannot
    // even read an encrypted value. The key is what the user has to fix.
    throw new ConfigError(key, new HiddenValue("values of unknown keys are never shown"), `one of this program's keys (${near ? `did you mean '${near}'?` : `docs/reference/configuration.md lists them`})`);
  }
}

/** Levenshtein distance, for suggesting the key a typo meant. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** Small typed readers; each throws a ConfigError naming the key, the value and what is allowed. */
class Reader {
  constructor(private readonly source: ConfigSource) {}

  required(key: ConfigKey, ok: (v: unknown) => boolean, allowed: string): unknown {
    const v = this.source.get(key);
    if (v === undefined) {
      throw new ConfigError(key, v, `${allowed} (the key has no value: is its default declared in Pulumi.yaml?)`);
    }
    if (!ok(v)) this.fail(key, v, allowed);
    return v;
  }

  /** Throws the ConfigError for `key`; a key the stack keeps secret never has its value shown. */
  fail(key: ConfigKey, value: unknown, allowed: string): never {
    throw new ConfigError(key, this.source.isSecret?.(key) ? new HiddenValue("the stack keeps it secret") : value, allowed);
  }

  /**
   * An IP address Docker can publish on and a URL can name. A zone id (`fe80::1%eth0`) is refused: the stage reaches
   * the server at that address through connection URLs, and a URL host cannot carry one (the WHATWG URL parser
   * rejects `[fe80::1%eth0]`); use a global or unique-local address of the interface instead.
   */
  address(key: ConfigKey, allowed: string): string {
    const v = this.required(key, (x) => typeof x === "string" && isIP(x) !== 0 && !x.includes("%"), allowed) as string;
    return v;
  }

  string(key: ConfigKey, pattern: RegExp, allowed: string): string {
    return this.required(key, (v) => typeof v === "string" && pattern.test(v), allowed) as string;
  }

  /** A Docker name prefix, or "" for `derived` (the stack's own). */
  derivedName(key: ConfigKey, derived: string): string {
    const v = this.required(key, (x) => x === "" || (typeof x === "string" && DOCKER_NAME.test(x)), `${DOCKER_NAME_RULE}, or "" for ${derived} (derived from the stack name)`) as string;
    if (v === "" && !DOCKER_NAME.test(derived)) throw new ConfigError(key, v, `${DOCKER_NAME_RULE}: the stack name gives ${derived}, which is not one; set ${key}`);
    return v === "" ? derived : v;
  }

  /** A host port, or 0 for `derived` (the stack's own). */
  port(key: ConfigKey, derived: number): number {
    const allowed = `a whole number from 1 to 65535, or 0 for ${derived} (derived from the stack name)`;
    const v = Number(this.required(key, (x) => isNumeric(x) && Number.isInteger(Number(x)) && Number(x) >= 0 && Number(x) <= 65535, allowed));
    return v === 0 ? derived : v;
  }

  /** Numbers may arrive as strings (`pulumi config set` stores top-level values as strings). */
  number(key: ConfigKey, min: number, max: number): number {
    const allowed = `a number from ${min} to ${max}`;
    return Number(this.required(key, (v) => isNumeric(v) && Number(v) >= min && Number(v) <= max, allowed));
  }

  integer(key: ConfigKey, min: number, max: number): number {
    const allowed = `a whole number from ${min} to ${max}`;
    return Number(this.required(key, (v) => isNumeric(v) && Number.isInteger(Number(v)) && Number(v) >= min && Number(v) <= max, allowed));
  }

  /** A CPU limit Docker keeps as given: the provider reads it back through a decimal string (docker-read-back.ts). */
  cpus(key: ConfigKey): number {
    const cpus = this.number(key, 0.5, 1024);
    if (!cpusRoundTrip(cpus)) {
      this.fail(key, this.source.get(key), `a CPU count that Docker keeps as given, such as 1.5 or 2.25 (this one would be read back as ${dockerCpus(cpus)})`);
    }
    return cpus;
  }

  oneOf<T extends number>(key: ConfigKey, values: readonly T[]): T {
    const allowed = `one of ${values.join(", ")}`;
    return Number(this.required(key, (v) => isNumeric(v) && values.includes(Number(v) as T), allowed)) as T;
  }

  boolean(key: ConfigKey): boolean {
    const v = this.required(key, (x) => x === true || x === false || x === "true" || x === "false", "true or false");
    return v === true || v === "true";
  }

  /** true, false, or `auto` for `auto` (the engine's default). */
  autoBoolean(key: ConfigKey, auto: boolean): boolean {
    const v = this.required(key, (x) => x === true || x === false || ["true", "false", "auto"].includes(x as string), "true, false or auto");
    return v === "auto" ? auto : v === true || v === "true";
  }

  /** The string handed to the sidecar as SCHEDULE, unchanged (its scheduler does not trim). */
  schedule(key: ConfigKey): string {
    const v = this.required(key, (x) => typeof x === "string", SCHEDULE_RULE) as string;
    const allowed = backupScheduleRule(v);
    if (allowed) this.fail(key, v, allowed);
    return v;
  }

  size(key: ConfigKey, min: number): number {
    const bytes = this.parsed(key, parseSize, "a size");
    if (bytes < min) this.fail(key, this.source.get(key), `a size of at least ${min / MiB}MiB`);
    if (bytes > MAX_SIZE) this.fail(key, this.source.get(key), "a size of at most 1024TiB");
    if (bytes % MiB !== 0) this.fail(key, this.source.get(key), "a whole number of MiB, such as 1536MiB or 2GiB (Docker takes it in MiB)");
    return bytes;
  }

  /** A value read by another reader, checked by a shared rule (components/backup/pitr.ts pitrRules). */
  checked<T>(key: ConfigKey, value: T, rule: (v: T) => string | undefined): T {
    const allowed = rule(value);
    if (allowed) throw new ConfigError(key, this.source.get(key), allowed);
    return value;
  }

  /** A size without a floor (an unset key is handled by the caller). */
  optionalSize(key: ConfigKey): number {
    const bytes = this.parsed(key, parseSize, "a size");
    if (bytes > MAX_SIZE) this.fail(key, this.source.get(key), "a size of at most 1024TiB");
    return bytes;
  }

  /** A duration in whole seconds from `min` to `max`. */
  seconds(key: ConfigKey, min: number, max: number): number {
    const ms = this.parsed(key, parseDuration, "a duration");
    if (ms % 1000 !== 0) this.fail(key, this.source.get(key), "a whole number of seconds, such as 30s or 5min");
    if (ms / 1000 < min || ms / 1000 > max) this.fail(key, this.source.get(key), `a duration from ${min}s to ${max / 3600}h (${max}s)`);
    return ms / 1000;
  }

  /** `parse(key, value)`, its ConfigError hiding the value of a secret key. */
  private parsed(key: ConfigKey, parse: (key: string, value: unknown) => number, what: string): number {
    const v = this.required(key, () => true, what);
    try {
      return parse(key, v);
    } catch (e) {
      if (e instanceof ConfigError) this.fail(key, v, e.allowed);
      throw e;
    }
  }

  /** An absolute, normal host directory that is no system or shared directory (host-paths.ts); trailing "/" dropped. */
  optionalPath(key: ConfigKey, use: HostPathUse): string | undefined {
    const v = this.source.get(key);
    if (v === undefined || v === "") return undefined;
    if (typeof v !== "string" || !v.startsWith("/") || /[\n\0]/.test(v) || v.includes(":")) {
      this.fail(key, v, `an absolute directory path on the Docker host, such as ${use.example}`);
    }
    const p = trimTrailingSlashes(v);
    const problem = hostPathProblem(p, use);
    if (problem) this.fail(key, v, problem);
    return p;
  }

  stringMap(key: ConfigKey): Readonly<Record<string, string>> {
    const v = this.source.get(key);
    if (v === undefined) return {};
    const allowed = "a map of PostgreSQL setting names to values, such as { work_mem: 32MB }";
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(key, v, allowed);
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(v)) {
      if (!["string", "number", "boolean"].includes(typeof value)) {
        throw new ConfigError(`${key}.${name}`, this.source.isSecret?.(key) ? new HiddenValue("the stack keeps it secret") : value, "a string, number or boolean");
      }
      out[name] = String(value);
    }
    return out;
  }
}

function isNumeric(v: unknown): boolean {
  return (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()));
}
