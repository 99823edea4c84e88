/**
 * The seed's validation checklist (../shared/seed/timescaledb-production-setup.md, "Validation checklist") as
 * @pulumi/policy rules, run by `pulumi preview --policy-pack policy` and `pulumi up --policy-pack policy`
 * (policy/index.ts builds the pack) and by test/policy.test.ts without the CLI.
 *
 * Level: `mandatory` where a violation loses data or leaks a secret, `advisory` otherwise. Every level and every limit
 * below can be set per stack in policy/config/<stack>.json (the format of `--policy-pack-config`; docs/policies.md).
 * Every message names the resource, the value found and what is expected. Values the engine does not know yet (in a
 * preview of a create) are never read into a finding: see inspect.ts.
 */
import type {
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { checkCommandLine, commandLineSettings } from "../components/tuning/command";
import { SHM_BASE, TuningError, type CheckInput } from "../components/tuning/checks";
import { numericSetting, parseBool } from "../components/tuning/pg-settings";
import { SUPPORTED_MAJORS } from "../components/tuning/pgtune";
import { parseInterval } from "../components/database/model";
import { MiB, formatBytes } from "../components/config/units";
import {
  CONTAINER,
  DYNAMIC,
  PG_SCHEMA,
  REMOTE_IMAGE,
  UNKNOWN,
  commandOf,
  configOf,
  containerLabel,
  envOf,
  hypertableOf,
  imageOfContainer,
  isBackupSidecar,
  isServer,
  mountsAt,
  parseImageReference,
  postgresMajorOfImage,
  propsOf,
  qualifiedTable,
  timescalePolicyOf,
} from "./inspect";

/** Where to set a stack's policy config, for messages. */
const STACK_CONFIG = "this stack's policy config (policy/config/<stack>.json)";

// ---------------------------------------------------------------------------------------------------------------
// Secrets.
// ---------------------------------------------------------------------------------------------------------------

const PASSWORD_VARIABLE = /(PASSWORD|PASSWD|PASSPHRASE)$/i;
/** `scheme://user:password@`, the password being group 2. */
const URL_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):([^\s/@]+)@/i;
/** libpq's key/value form, `host=... password=...`. */
const CONNINFO_PASSWORD = /(^|\s)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/i;

const secretsSchema: PolicyConfigSchema = {
  properties: {
    allowVariables: {
      type: "array",
      items: { type: "string" },
      default: [],
      description: "Environment variable names exempt from the rule (their values are still never printed).",
    },
  },
};

export const secretsAsFiles: ResourceValidationPolicy = {
  name: "secrets-as-files",
  description: "No container environment variable carries a password or a connection string with one: `docker inspect` shows the environment. Passwords reach containers as files (POSTGRES_PASSWORD_FILE).",
  enforcementLevel: "mandatory",
  configSchema: secretsSchema,
  validateResource: (args, report) => {
    if (args.type !== CONTAINER) return;
    const { allowVariables } = configOf<{ allowVariables: string[] }>(args, secretsSchema);
    const props = propsOf(args);
    const env = envOf(props);
    if (env === UNKNOWN) return;
    const where = containerLabel(props, args.name);
    const expected = "expected the password in a file the container reads (e.g. POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password, the file uploaded from a Pulumi secret)";
    for (const [name, value] of env) {
      if (value === UNKNOWN || value === "" || allowVariables.includes(name)) continue;
      if (PASSWORD_VARIABLE.test(name)) {
        report(`${where}: environment variable ${name} carries a password in plain text (a ${value.length}-character value, not shown); ${expected}`);
      } else if (URL_WITH_PASSWORD.test(value)) {
        report(`${where}: environment variable ${name} carries a connection string with a password (${value.replace(URL_WITH_PASSWORD, "$1:***@")}); ${expected}`);
      } else if (CONNINFO_PASSWORD.test(value)) {
        report(`${where}: environment variable ${name} carries a connection string with a password (${value.replace(CONNINFO_PASSWORD, "$1$2***")}); ${expected}`);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Pinned images.
// ---------------------------------------------------------------------------------------------------------------

const imagesSchema: PolicyConfigSchema = {
  properties: {
    requireFullVersion: {
      type: "boolean",
      default: false,
      description: "Require at least major.minor at the start of a tag (refuses tags such as `17` that follow a major's releases).",
    },
  },
};

/** Why an image reference is not pinned to a release, or undefined when it is. */
function floatingImage(ref: string, requireFullVersion: boolean): string | undefined {
  const { tag, digest } = parseImageReference(ref);
  if (digest) return undefined;
  if (tag === undefined) return "has no tag, so Docker pulls latest";
  if (/latest/i.test(tag)) return `has the floating tag "${tag}"`;
  if (!(requireFullVersion ? /^v?\d+\.\d+/ : /^v?\d+/).test(tag)) {
    return requireFullVersion ? `has the tag "${tag}", which names no major.minor release` : `has the tag "${tag}", which names no release version`;
  }
  return undefined;
}

export const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description: "Every image is pinned to a release: no `latest`, no tag without a release version (a re-pull must not change the server under its data).",
  enforcementLevel: "advisory",
  configSchema: imagesSchema,
  validateResource: (args, report) => {
    if (args.type !== REMOTE_IMAGE && args.type !== CONTAINER) return;
    const props = propsOf(args);
    // A container usually runs a remote image's id (sha256:...), checked on the remote image itself.
    const ref = args.type === REMOTE_IMAGE ? props.name : props.image;
    if (typeof ref !== "string" || ref.startsWith("sha256:")) return;
    const { requireFullVersion } = configOf<{ requireFullVersion: boolean }>(args, imagesSchema);
    const problem = floatingImage(ref, requireFullVersion);
    if (!problem) return;
    const what = args.type === REMOTE_IMAGE ? `image "${ref}" (${args.name})` : `${containerLabel(props, args.name)} image "${ref}"`;
    const example = requireFullVersion ? "2.29.2-pg17" : "2.29.2-pg17 or 17";
    report(`${what} ${problem}; expected a tag that starts with a release version, such as ${example}, or a digest (@sha256:...)`);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Exposure.
// ---------------------------------------------------------------------------------------------------------------

const exposureSchema: PolicyConfigSchema = {
  properties: {
    allowAllInterfaces: {
      type: "boolean",
      default: false,
      description: "Allow publishing the database port on every interface (0.0.0.0, ::) for this stack.",
    },
    databasePorts: {
      type: "array",
      items: { type: "integer", minimum: 1, maximum: 65535 },
      default: [5432],
      description: "Container ports that are database ports.",
    },
  },
};

/** Docker publishes a port without an address, or on 0.0.0.0 / :: (any spelling), on every interface. */
function everyInterface(ip: unknown): boolean {
  if (ip === undefined || ip === null || ip === "") return true;
  if (typeof ip !== "string") return false;
  const bare = ip.replace(/^\[|\]$/g, "");
  return /^0+(\.0+){3}$/.test(bare) || (bare.includes(":") && /^[0:]+$/.test(bare));
}

export const exposure: ResourceValidationPolicy = {
  name: "exposure",
  description: "The database port is not published on every interface (0.0.0.0, ::) unless the stack's policy config allows it.",
  enforcementLevel: "advisory",
  configSchema: exposureSchema,
  validateResource: (args, report) => {
    if (args.type !== CONTAINER) return;
    const { allowAllInterfaces, databasePorts } = configOf<{ allowAllInterfaces: boolean; databasePorts: number[] }>(args, exposureSchema);
    if (allowAllInterfaces) return;
    const props = propsOf(args);
    const ports = Array.isArray(props.ports) ? (props.ports as Record<string, unknown>[]) : [];
    for (const port of ports) {
      if (!port || port.ip === UNKNOWN || typeof port.internal !== "number" || !databasePorts.includes(port.internal)) continue;
      if (!everyInterface(port.ip)) continue;
      const ip = port.ip === undefined || port.ip === "" ? "none, which Docker publishes on 0.0.0.0 and ::" : JSON.stringify(port.ip);
      report(
        `${containerLabel(props, args.name)} publishes database port ${port.internal} on every interface (address ${ip}, host port ${typeof port.external === "number" ? port.external : "chosen by Docker"}); ` +
          `expected one address such as 127.0.0.1 (bindAddress), or allowAllInterfaces: true in ${STACK_CONFIG}`,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// The server container: capacity and observability (stack policies: the PostgreSQL major is in the image's tag, on
// the remote image resource beside the container).
// ---------------------------------------------------------------------------------------------------------------

const NEWEST_MAJOR = Math.max(...SUPPORTED_MAJORS);

interface Server {
  readonly resource: PolicyResource;
  readonly props: Record<string, unknown>;
  readonly label: string;
  /** From the image tag; the newest supported major when the image is not visible or names another. */
  readonly major: number;
}

function servers(resources: readonly PolicyResource[]): Server[] {
  return resources.flatMap((resource) => {
    if (resource.type !== CONTAINER) return [];
    const props = propsOf(resource);
    if (!isServer(props)) return [];
    const image = imageOfContainer(resource, resources);
    const major = image === undefined ? undefined : postgresMajorOfImage(image);
    return [{ resource, props, label: containerLabel(props, resource.name), major: major !== undefined && SUPPORTED_MAJORS.includes(major) ? major : NEWEST_MAJOR }];
  });
}

const capacitySchema: PolicyConfigSchema = {
  properties: {
    reportWarnings: {
      type: "boolean",
      default: false,
      description: "Also report the capacity checks' warnings (headroom and performance), not only their errors.",
    },
  },
};

/** Docker's ulimit nofile entry, soft limit. */
function nofileOf(props: Record<string, unknown>): number | undefined {
  const ulimits = Array.isArray(props.ulimits) ? (props.ulimits as Record<string, unknown>[]) : [];
  const nofile = ulimits.find((u) => u?.name === "nofile")?.soft;
  return typeof nofile === "number" ? nofile : undefined;
}

export const capacity: StackValidationPolicy = {
  name: "capacity",
  description: "The server's PostgreSQL memory settings fit its container: the tuning module's capacity checks (memory budget, worker slots, WAL sizes, /dev/shm, nofile) over its postgres -c command line, memory limit and shm size.",
  enforcementLevel: "advisory",
  configSchema: capacitySchema,
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const { reportWarnings } = configOf<{ reportWarnings: boolean }>(args, capacitySchema);
    for (const server of servers(args.resources)) {
      const { props, label, resource } = server;
      const command = commandOf(props);
      if (command === UNKNOWN || props.memory === UNKNOWN || props.shmSize === UNKNOWN || props.ulimits === UNKNOWN) continue;
      if (command === undefined) {
        report(`${label} has no command line; expected postgres -c name=value ... with the tuned settings, which the capacity checks read`, resource.urn);
        continue;
      }
      if (typeof props.memory !== "number" || props.memory <= 0) {
        report(`${label} has no memory limit (memory ${JSON.stringify(props.memory ?? null)}); expected a limit in MiB that PostgreSQL's memory settings fit`, resource.urn);
        continue;
      }
      const shmMiB = typeof props.shmSize === "number" && props.shmSize > 0 ? props.shmSize : SHM_BASE / MiB; // Docker's default
      const input: CheckInput = {
        memoryBytes: props.memory * MiB,
        shmSizeBytes: shmMiB * MiB,
        // Without a nofile ulimit the engine's default applies, which the policy cannot see: that check is skipped.
        nofileLimit: nofileOf(props) ?? Number.POSITIVE_INFINITY,
        postgresMajor: server.major,
      };
      const limits = `memory ${formatBytes(input.memoryBytes)}, shm ${formatBytes(input.shmSizeBytes)}`;
      try {
        const result = checkCommandLine(command, input);
        for (const error of result.errors) report(`${label} (${limits}): ${error}`, resource.urn);
        if (reportWarnings) for (const warning of result.warnings) report(`${label} (${limits}), warning: ${warning}`, resource.urn);
      } catch (e) {
        if (!(e instanceof TuningError)) throw e;
        report(`${label}: its command line cannot be checked: ${e.message}`, resource.urn);
      }
    }
  },
};

const observabilitySchema: PolicyConfigSchema = {
  properties: {
    maxLogMinDurationStatementMs: {
      type: "integer",
      minimum: 0,
      default: 1000,
      description: "The largest log_min_duration_statement allowed, in milliseconds (the earlier podman-compose deployment: 500).",
    },
  },
};

export const observability: StackValidationPolicy = {
  name: "observability",
  description: "Slow statements and checkpoints are logged: log_min_duration_statement and log_checkpoints on the server's command line.",
  enforcementLevel: "advisory",
  configSchema: observabilitySchema,
  validateStack: (args, report) => {
    const { maxLogMinDurationStatementMs: max } = configOf<{ maxLogMinDurationStatementMs: number }>(args, observabilitySchema);
    for (const { props, label, resource, major } of servers(args.resources)) {
      const command = commandOf(props);
      if (command === UNKNOWN) continue;
      if (command === undefined) {
        report(`${label} has no command line; expected postgres -c log_min_duration_statement=... -c log_checkpoints=on`, resource.urn);
        continue;
      }
      let settings;
      try {
        settings = commandLineSettings(command);
      } catch (e) {
        if (!(e instanceof TuningError)) throw e;
        report(`${label}: ${e.message}; expected postgres -c log_min_duration_statement=... -c log_checkpoints=on`, resource.urn);
        continue;
      }
      const expectDuration = `expected log_min_duration_statement between 0 and ${max}ms (the earlier podman-compose deployment: 500ms)`;
      const duration = settings.get("log_min_duration_statement")?.value;
      const ms = duration === undefined ? undefined : numericSetting(major, "log_min_duration_statement", duration);
      if (duration === undefined) report(`${label} does not set log_min_duration_statement on its command line; ${expectDuration}`, resource.urn);
      else if (ms === undefined) report(`${label}: log_min_duration_statement=${duration} is not a duration PostgreSQL ${major} accepts; ${expectDuration}`, resource.urn);
      else if (ms < 0) report(`${label}: log_min_duration_statement=${duration} turns slow statement logging off; ${expectDuration}`, resource.urn);
      else if (ms > max) report(`${label}: log_min_duration_statement=${duration} logs only statements slower than ${ms}ms; ${expectDuration}`, resource.urn);

      const checkpoints = settings.get("log_checkpoints")?.value;
      if (checkpoints === undefined) report(`${label} does not set log_checkpoints on its command line; expected log_checkpoints=on`, resource.urn);
      else if (parseBool(checkpoints) !== true) report(`${label}: log_checkpoints=${checkpoints} does not log checkpoints; expected log_checkpoints=on`, resource.urn);
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Data lifecycle.
// ---------------------------------------------------------------------------------------------------------------

const POLICY_KINDS = ["compression", "reorder", "retention"];

const lifecycleSchema: PolicyConfigSchema = {
  properties: {
    requiredPolicies: {
      type: "array",
      items: { type: "string", enum: POLICY_KINDS },
      uniqueItems: true,
      default: POLICY_KINDS,
      description: "The TimescaleDB policies every hypertable must have a resource for.",
    },
  },
};

export const dataLifecycle: StackValidationPolicy = {
  name: "data-lifecycle",
  description: "Every hypertable resource has compression, reorder and retention policy resources, and retention is longer than the compression window.",
  enforcementLevel: "advisory",
  configSchema: lifecycleSchema,
  validateStack: (args, report) => {
    const { requiredPolicies } = configOf<{ requiredPolicies: string[] }>(args, lifecycleSchema);
    const key = (schema: unknown, table: string) => `${String(schema)}\u0000${table}`;
    const policiesByTable = new Map<string, { kind: string; after?: unknown }[]>();
    for (const r of args.resources) {
      const p = timescalePolicyOf(r);
      if (p) policiesByTable.set(key(p.schema, p.table), [...(policiesByTable.get(key(p.schema, p.table)) ?? []), p]);
    }
    for (const r of args.resources) {
      const ht = hypertableOf(r);
      if (!ht) continue;
      const where = `hypertable ${qualifiedTable(ht.schema, ht.table)} (${r.name})`;
      const found = policiesByTable.get(key(ht.schema, ht.table)) ?? [];
      const kinds = [...new Set(found.map((p) => p.kind))].sort();
      const missing = requiredPolicies.filter((k) => !kinds.includes(k));
      if (missing.length > 0) {
        report(
          `${where} has no ${missing.join(" or ")} policy resource (found: ${kinds.join(", ") || "none"}); expected ${requiredPolicies.join(", ")} policy resources for every hypertable`,
          r.urn,
        );
      }
      const window = (kind: string) => found.find((p) => p.kind === kind)?.after;
      const [compressAfter, retention] = [window("compression"), window("retention")];
      if (compressAfter === undefined || retention === undefined || compressAfter === UNKNOWN || retention === UNKNOWN) continue;
      const [c, d] = [parseInterval(compressAfter), parseInterval(retention)];
      if (!c || !d) {
        report(`${where}: the policy windows compression ${JSON.stringify(compressAfter)} and retention ${JSON.stringify(retention)} are not both intervals such as "7 days"`, r.urn);
      } else if (d.seconds <= c.seconds) {
        report(`${where}: retention drops chunks after ${d.text}, no later than compression (after ${c.text}) would compress them; expected a retention window longer than ${c.text}`, r.urn);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Backups.
// ---------------------------------------------------------------------------------------------------------------

export const backupSidecar: StackValidationPolicy = {
  name: "backup-sidecar",
  description: "A stack that runs the server also runs the backup sidecar that dumps it.",
  enforcementLevel: "mandatory",
  configSchema: { properties: {} },
  validateStack: (args, report) => {
    // The hosts the sidecars dump; a container whose environment is not known yet may be one, dumping anything.
    const hostsDumped = args.resources.flatMap((r) => {
      if (r.type !== CONTAINER) return [];
      const props = propsOf(r);
      const env = envOf(props);
      if (env === UNKNOWN) return [UNKNOWN];
      return isBackupSidecar(props) ? [env.get("POSTGRES_HOST")] : [];
    });
    for (const { props, label, resource } of servers(args.resources)) {
      // The names the server answers to on its networks: its container name and its aliases.
      const networks = Array.isArray(props.networksAdvanced) ? (props.networksAdvanced as Record<string, unknown>[]) : [];
      const names = [props.name, ...networks.flatMap((n) => (Array.isArray(n?.aliases) ? n.aliases : []))];
      if (names.includes(UNKNOWN) || hostsDumped.some((h) => h === UNKNOWN || names.includes(h))) continue;
      const known = names.filter((n): n is string => typeof n === "string");
      report(
        `${label} has no backup sidecar: no container dumps it (none sets POSTGRES_HOST to ${known.join(" or ") || "its name"} with the postgres-backup-local variables SCHEDULE/BACKUP_DIR); ` +
          `expected the backup sidecar (backupEnabled: true)`,
        resource.urn,
      );
    }
  },
};

/** pg_dump options that leave part of the database out: schema and table filters, and schema-only. */
function dumpFilters(options: string): string[] {
  return options
    .trim()
    .split(/\s+/)
    .filter(
      (t) =>
        /^--(schema|table|exclude-schema|exclude-table|exclude-table-data|table-and-children|exclude-table-and-children|exclude-table-data-and-children)(=|$)/.test(t) ||
        t === "--schema-only" ||
        /^-[ntNT]/.test(t) ||
        t === "-s",
    );
}

export const backupWholeDatabase: ResourceValidationPolicy = {
  name: "backup-whole-database",
  description: "The backup sidecar dumps the whole database: no --schema, -n, -t, --table (or exclude, or schema-only) options. Hypertable rows live in chunks in _timescaledb_internal, so a filtered dump restores no hypertable rows.",
  enforcementLevel: "mandatory",
  configSchema: { properties: {} },
  validateResource: (args, report) => {
    if (args.type !== CONTAINER) return;
    const props = propsOf(args);
    const env = envOf(props);
    if (env === UNKNOWN || !isBackupSidecar(props)) return;
    const options = env.get("POSTGRES_EXTRA_OPTS");
    if (typeof options !== "string") return;
    const filters = dumpFilters(options);
    if (filters.length === 0) return;
    report(
      `${containerLabel(props, args.name)} dumps with POSTGRES_EXTRA_OPTS="${options}": ${filters.join(" ")} leave${filters.length === 1 ? "s" : ""} part of the database out, ` +
        `and a TimescaleDB dump filtered by schema or table restores no hypertable rows (they live in chunks in _timescaledb_internal); ` +
        `expected whole-database options such as --format=custom --compress=6`,
    );
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Persistence.
// ---------------------------------------------------------------------------------------------------------------

const persistenceSchema: PolicyConfigSchema = {
  properties: {
    allowDestroyDeletesData: {
      type: "boolean",
      default: false,
      description: "This stack opted in to destroyDeletesData: pulumi destroy may drop the tables with their rows.",
    },
  },
};

/** The images' defaults: PGDATA of the postgres images, BACKUP_DIR of postgres-backup-local. */
const DEFAULT_PGDATA = "/var/lib/postgresql/data";
const DEFAULT_BACKUP_DIR = "/backups";

export const persistence: ResourceValidationPolicy = {
  name: "persistence",
  description: "The data outlives its containers and a destroy: the server's data directory and the sidecar's backup directory are on a named volume or host directory, and destroy drops no table unless the stack opted in (destroyDeletesData). The policy API does not show retainOnDelete: see docs/policies.md.",
  enforcementLevel: "mandatory",
  configSchema: persistenceSchema,
  validateResource: (args: ResourceValidationArgs, report) => {
    const props = propsOf(args);
    const { allowDestroyDeletesData } = configOf<{ allowDestroyDeletesData: boolean }>(args, persistenceSchema);
    const optIn = `unless this stack opted in with destroyDeletesData: true and allowDestroyDeletesData: true in ${STACK_CONFIG}`;
    if (args.type === CONTAINER) {
      const env = envOf(props);
      if (env === UNKNOWN) return;
      const server = isServer(props);
      if (!server && !isBackupSidecar(props)) return;
      const variable = server ? "PGDATA" : "BACKUP_DIR";
      const dir = env.get(variable);
      if (dir === UNKNOWN) return;
      const path = dir || (server ? DEFAULT_PGDATA : DEFAULT_BACKUP_DIR);
      if (mountsAt(props, path)) return;
      report(
        `${containerLabel(props, args.name)} keeps its ${server ? "data directory" : "dumps"} ${path} (${variable}) inside the container: no named volume or host directory is mounted there, ` +
          `so replacing or removing the container loses them; expected a volume or host path mounted at ${path}`,
      );
      return;
    }
    const ht = hypertableOf(args);
    if (ht && props.destroyDropsTables === true && !allowDestroyDeletesData) {
      report(`hypertable ${qualifiedTable(ht.schema, ht.table)} (${args.name}) has destroyDropsTables: true, so pulumi destroy drops the table and its rows; expected false ${optIn}`);
    }
    if (args.type === PG_SCHEMA && props.dropCascade === true && !allowDestroyDeletesData) {
      report(`schema ${String(props.name)} (${args.name}) has dropCascade: true, so pulumi destroy drops every table in it; expected false ${optIn}`);
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// TLS to a server across a network (issue 10: external mode).
// ---------------------------------------------------------------------------------------------------------------

const databaseTlsSchema: PolicyConfigSchema = {
  properties: {
    allowUnverifiedTls: {
      type: "boolean",
      default: false,
      description: "Allow connections to a server that is not on this machine without certificate verification (sslMode disable or require).",
    },
  },
};

/** Loopback names and addresses: the local container, published on this machine. */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || /^127\./.test(bare) || bare === "::1" || /^::ffff:127\./.test(bare);
}

export const databaseTls: ResourceValidationPolicy = {
  name: "database-tls",
  description: "The database stage reaches a server that is not on this machine over verified TLS (sslmode verify-full or verify-ca): credentials and ticks cross the network.",
  enforcementLevel: "mandatory",
  configSchema: databaseTlsSchema,
  validateResource: (args, report) => {
    if (args.type !== DYNAMIC) return;
    const { allowUnverifiedTls } = configOf<{ allowUnverifiedTls: boolean }>(args, databaseTlsSchema);
    if (allowUnverifiedTls) return;
    const props = propsOf(args);
    const host = props.host;
    if (typeof host !== "string" || isLoopback(host)) return;
    const tls = props.tls;
    if (tls === UNKNOWN) return;
    const mode = tls && typeof tls === "object" ? (tls as Record<string, unknown>).mode : undefined;
    if (mode === "verify-full" || mode === "verify-ca") return;
    report(
      `${args.name} connects to ${host}:${String(props.port)} with ${typeof mode === "string" ? `sslmode=${mode}` : "no TLS"}; ` +
        `expected sslMode verify-full (or verify-ca) for a server across a network, or allowUnverifiedTls: true in ${STACK_CONFIG}`,
    );
  },
};

/** Every rule, in the checklist's order. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  secretsAsFiles,
  pinnedImages,
  exposure,
  capacity,
  observability,
  dataLifecycle,
  backupSidecar,
  backupWholeDatabase,
  persistence,
  databaseTls,
];
