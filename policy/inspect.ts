/**
 * Reading resources as the policy API hands them over: `props` are the resource's inputs (its planned outputs for a
 * stack policy) with secrets unwrapped to plain values, wrapped in @pulumi/policy's unknown-checking proxy, which
 * throws an UnknownValueError on reading a value the engine does not know yet (in a preview of a create, e.g. a
 * container's image id). An error escaping a policy turns into "can't run policy during preview", so every rule reads
 * props through `snapshot`, which marks such values UNKNOWN instead, and treats UNKNOWN as "cannot tell: no finding".
 */
import { UnknownValueError, type PolicyConfigSchema, type PolicyResource, type ResourceValidationArgs } from "@pulumi/policy";

/** A value the engine does not know yet. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** Reads one value, UNKNOWN when the engine does not know it. */
function read(obj: Record<string | number, unknown>, key: string | number): unknown {
  try {
    return obj[key];
  } catch (e) {
    if (e instanceof UnknownValueError) return UNKNOWN;
    throw e;
  }
}

/** A plain copy of `value` (props, or a part of them) with UNKNOWN where the engine sent an unknown value. */
export function snapshot(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const source = value as Record<string, unknown>;
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => snapshot(read(source, i)));
  return Object.fromEntries(Object.keys(source).map((k) => [k, snapshot(read(source, k))]));
}

/** The props of a resource as a plain object (UNKNOWN marks what the engine does not know yet). */
export function propsOf(resource: { props: Record<string, unknown> }): Record<string, unknown> {
  const props = snapshot(resource.props);
  return props !== null && typeof props === "object" && !Array.isArray(props) ? (props as Record<string, unknown>) : {};
}

/** A policy's config: its schema's defaults under what the engine configured (the CLI sends the defaults too). */
export function configOf<T extends object>(args: Pick<ResourceValidationArgs, "getConfig">, schema: PolicyConfigSchema): T {
  const defaults = Object.fromEntries(
    Object.entries(schema.properties).flatMap(([k, s]) => (s.default === undefined ? [] : [[k, s.default]])),
  );
  return { ...defaults, ...args.getConfig<T>() } as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Docker containers.
// ---------------------------------------------------------------------------------------------------------------

export const CONTAINER = "docker:index/container:Container";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
export const PG_SCHEMA = "postgresql:index/schema:Schema";

/** A container's environment, name to value (the last entry wins, as Docker applies them); UNKNOWN if not known. */
export function envOf(props: Record<string, unknown>): Map<string, string | Unknown> | Unknown {
  const envs = props.envs;
  if (envs === UNKNOWN) return UNKNOWN;
  const out = new Map<string, string | Unknown>();
  if (!Array.isArray(envs)) return out;
  for (const entry of envs) {
    if (typeof entry !== "string") continue;
    const eq = entry.indexOf("=");
    if (eq > 0) out.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return out;
}

/** The container's command as strings, undefined when it has none, UNKNOWN when any part is not known. */
export function commandOf(props: Record<string, unknown>): string[] | undefined | Unknown {
  const command = props.command;
  if (command === UNKNOWN || (Array.isArray(command) && command.some((a) => a === UNKNOWN))) return UNKNOWN;
  if (!Array.isArray(command) || command.length === 0) return undefined;
  return command.map(String);
}

/**
 * The PostgreSQL server: a container whose command runs `postgres`, or that sets PGDATA (the postgres images' data
 * directory variable). The program's server does both.
 */
export function isServer(props: Record<string, unknown>): boolean {
  const command = commandOf(props);
  if (Array.isArray(command) && command[0].split("/").pop() === "postgres") return true;
  const env = envOf(props);
  return env !== UNKNOWN && env.has("PGDATA");
}

/**
 * The backup sidecar: a container that points pg_dump at a server (POSTGRES_HOST) and carries the variables of
 * prodrigestivill/postgres-backup-local's scheduler (SCHEDULE, BACKUP_DIR or BACKUP_KEEP_DAYS).
 */
export function isBackupSidecar(props: Record<string, unknown>): boolean {
  const env = envOf(props);
  return env !== UNKNOWN && env.has("POSTGRES_HOST") && ["SCHEDULE", "BACKUP_DIR", "BACKUP_KEEP_DAYS"].some((k) => env.has(k));
}

/** `container "crypto-scout-timescaledb" (timescaledb-container)`: the Docker name and the Pulumi name. */
export function containerLabel(props: Record<string, unknown>, pulumiName: string): string {
  return typeof props.name === "string" ? `container "${props.name}" (${pulumiName})` : `container ${pulumiName}`;
}

/**
 * Whether a container mounts a named volume or a host directory at `path` or at a directory above it (an anonymous
 * volume, one without a name or source, does not count: it goes with the container).
 */
export function mountsAt(props: Record<string, unknown>, path: string): boolean {
  const covers = (target: unknown) =>
    target === UNKNOWN || (typeof target === "string" && (path === target || path.startsWith(target.endsWith("/") ? target : `${target}/`)));
  const volumes = Array.isArray(props.volumes) ? props.volumes : [];
  const mounts = Array.isArray(props.mounts) ? props.mounts : [];
  return (
    props.volumes === UNKNOWN ||
    props.mounts === UNKNOWN ||
    volumes.some((v) => {
      const m = v as Record<string, unknown>;
      return covers(m?.containerPath) && (m.volumeName !== undefined || m.hostPath !== undefined);
    }) ||
    mounts.some((v) => {
      const m = v as Record<string, unknown>;
      return covers(m?.target) && (m.type === "volume" || m.type === "bind" || m.type === UNKNOWN) && m.source !== undefined;
    })
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Images.
// ---------------------------------------------------------------------------------------------------------------

/** An image reference split as Docker reads it: `[registry/]repository[:tag][@digest]`. */
export function parseImageReference(ref: string): { repository: string; tag?: string; digest?: string } {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const colon = named.lastIndexOf(":");
  const hasTag = colon > named.lastIndexOf("/");
  return { repository: hasTag ? named.slice(0, colon) : named, tag: hasTag ? named.slice(colon + 1) : undefined, digest };
}

/** The PostgreSQL major an image reference names: timescale's `-pg17` tags, or the official postgres image's `17...`. */
export function postgresMajorOfImage(ref: string): number | undefined {
  const { repository, tag } = parseImageReference(ref);
  if (!tag) return undefined;
  const pg = /(?:^|-)pg(\d+)(?:$|[^0-9])/.exec(tag);
  if (pg) return Number(pg[1]);
  const official = repository.split("/").pop() === "postgres" ? /^(\d+)/.exec(tag) : null;
  return official ? Number(official[1]) : undefined;
}

/**
 * The image a container runs, as a reference: its own `image` when that is a reference, else the name of the remote
 * image it depends on for `image` (the engine's property dependencies), or of a remote image under the same parent
 * (the program's components create the image and the container side by side).
 */
export function imageOfContainer(container: PolicyResource, resources: readonly PolicyResource[]): string | undefined {
  const own = propsOf(container).image;
  if (typeof own === "string" && !own.startsWith("sha256:")) return own;
  const candidates = [
    ...(container.propertyDependencies?.image ?? []),
    ...resources.filter((r) => r.type === REMOTE_IMAGE && r.parent !== undefined && r.parent.urn === container.parent?.urn),
  ];
  for (const image of candidates) {
    const name = image.type === REMOTE_IMAGE ? propsOf(image).name : undefined;
    if (typeof name === "string") return name;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The schema stage's dynamic resources (components/database/providers): one per hypertable and one per policy.
// ---------------------------------------------------------------------------------------------------------------

/** A hypertable resource: a dynamic resource whose `table` is the table's spec (name, time column, ...). */
export function hypertableOf(resource: { type: string; props: Record<string, unknown> }): { schema: unknown; table: string } | undefined {
  if (resource.type !== DYNAMIC) return undefined;
  const props = propsOf(resource);
  const table = props.table as Record<string, unknown> | undefined;
  if (table === null || typeof table !== "object" || typeof table.name !== "string" || table.timeColumn === undefined) return undefined;
  return { schema: props.schema, table: table.name };
}

/** A TimescaleDB policy resource: a dynamic resource with a `table` name and a `policy` of a kind. */
export function timescalePolicyOf(resource: { type: string; props: Record<string, unknown> }):
  | { schema: unknown; table: string; kind: string; after?: unknown }
  | undefined {
  if (resource.type !== DYNAMIC) return undefined;
  const props = propsOf(resource);
  const policy = props.policy as Record<string, unknown> | undefined;
  if (typeof props.table !== "string" || policy === null || typeof policy !== "object" || typeof policy.kind !== "string") return undefined;
  return { schema: props.schema, table: props.table, kind: policy.kind, after: policy.after };
}

/** `crypto_scout.cmc_fgi`. */
export function qualifiedTable(schema: unknown, table: string): string {
  return typeof schema === "string" ? `${schema}.${table}` : table;
}
