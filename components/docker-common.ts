import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { applyTransform, type Transform } from "./transform";
import { wholeNumber, type ArgumentChecks, type Rule } from "./args";

/** The engine behind the Docker API: Docker itself, or Podman's Docker-compatible socket. */
export const CONTAINER_ENGINES = ["docker", "podman"] as const;
export type ContainerEngine = (typeof CONTAINER_ENGINES)[number];

/** Where a container keeps data that must outlive it: a named Docker volume or a directory on the host. */
export type DataLocation =
  | { readonly kind: "volume"; readonly name: string }
  | { readonly kind: "hostPath"; readonly path: string };

/** What Docker accepts as a container, network or volume name (moby daemon/names: RestrictedNamePattern). */
export const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const DOCKER_NAME_RULE = "a Docker name: letters, digits, '_', '.', '-', starting with a letter or digit";
export const dockerName: Rule<string> = (v) => (typeof v === "string" && DOCKER_NAME.test(v) ? undefined : DOCKER_NAME_RULE);

/**
 * Docker object names derived from a stack's prefix. One function, so the server, the backup sidecar, the restore
 * script's defaults and the README agree.
 */
export function dockerNames(prefix: string) {
  return {
    network: prefix,
    serverContainer: `${prefix}-timescaledb`,
    backupContainer: `${prefix}-backup`,
    dataVolume: `${prefix}-data`,
    backupVolume: `${prefix}-backups`,
    postgresExporterContainer: `${prefix}-postgres-exporter`,
    sqlExporterContainer: `${prefix}-sql-exporter`,
    pitrContainer: `${prefix}-pitr`,
    pitrVolume: `${prefix}-pitr`,
  } as const;
}

/** Where the generated superuser password is uploaded inside both containers (read through `*_FILE` variables). */
export const PASSWORD_FILE = "/run/secrets/postgres-password";
/** The server's aliases on the stack's network. `postgres` keeps the seed's `POSTGRES_HOST=postgres` working. */
export const SERVER_ALIASES = ["timescaledb", "postgres"] as const;

/** json-file log rotation for a container: at most `maxFiles` files of `maxSizeBytes` each. */
export interface LogRotation {
  readonly maxSizeBytes: number;
  readonly maxFiles: number;
}
export const DEFAULT_LOG_ROTATION: LogRotation = { maxSizeBytes: 50 * 1024 * 1024, maxFiles: 5 };

/** Args both container components take, documented once. */
export interface ContainerComponentArgs {
  /**
   * The engine behind the Docker API. With `podman`, the fields its Docker-compatible API reports in another form
   * (stop signal, ulimits, log options, swap; the network's IPAM options) are left out of diffs, and only the log
   * options Podman honours are sent. See `docker-read-back.ts`.
   * @default "docker"
   * @example "podman"
   */
  readonly engine?: ContainerEngine;
  /**
   * json-file log rotation.
   * @default { maxSizeBytes: 50 MiB, maxFiles: 5 }
   * @example { maxSizeBytes: 100 * 1024 ** 2, maxFiles: 3 }
   */
  readonly logRotation?: LogRotation;
  /**
   * Let `pulumi destroy` (or a replacement) delete the component's named volume. Off: the volume, and everything in
   * it, is left on the host (`retainOnDelete`) and a later `pulumi up` adopts it again by name.
   * @default false
   */
  readonly destroyDeletesData?: boolean;
  /**
   * Labels put on every Docker object.
   * @default {}
   * @example { "com.crypto-scout.stack": "prod" }
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Checks the args every container component takes (see `ContainerComponentArgs`). */
export function checkContainerArgs(check: ArgumentChecks, args: ContainerComponentArgs): void {
  check
    .check("engine", args.engine, (v) => (CONTAINER_ENGINES.includes(v) ? undefined : CONTAINER_ENGINES.join(" or ")))
    .check("logRotation.maxSizeBytes", args.logRotation?.maxSizeBytes, wholeNumber(1024 * 1024, Number.MAX_SAFE_INTEGER, "(bytes: at least 1 MiB)"))
    .check("logRotation.maxFiles", args.logRotation?.maxFiles, wholeNumber(1, 100));
}

/**
 * The container args that turn on json-file log rotation. Podman takes `json-file` and honours `max-size` (one file,
 * truncated when full) but silently ignores `max-file` (containers/podman v5.8.2 pkg/specgenutil/specgen.go 855-879,
 * libpod/container_create.go 554-567), so it is not sent there.
 */
export function jsonFileLogging(rotation: LogRotation = DEFAULT_LOG_ROTATION, engine: ContainerEngine = "docker") {
  const sizeMiB = Math.max(1, Math.round(rotation.maxSizeBytes / (1024 * 1024)));
  const maxSize = { "max-size": `${sizeMiB}m` };
  return { logDriver: "json-file", logOpts: engine === "podman" ? maxSize : { ...maxSize, "max-file": String(rotation.maxFiles) } };
}

/**
 * The address that reaches a port published on `bindAddress` from the Docker host: the address itself, or loopback
 * when it is bound to every interface (0.0.0.0, ::).
 */
export function reachableHost(bindAddress: string): string {
  return bindAddress === "0.0.0.0" ? "127.0.0.1" : bindAddress === "::" ? "::1" : bindAddress;
}

/** Labels as the docker provider takes them. */
export function dockerLabels(labels: Readonly<Record<string, string>> = {}) {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/** Whether `location` is storage already created (by `persistentStorage`) rather than a description of it. */
export function isPersistentStorage(location: DataLocation | PersistentStorage): location is PersistentStorage {
  return "source" in location;
}

/** Where a container's lasting data is mounted from, and the volume created for it (none for a host directory). */
export interface PersistentStorage {
  readonly volume?: docker.Volume;
  /** The mount source for the container's `volumes` entry. */
  readonly source: { volumeName: pulumi.Output<string> } | { hostPath: string };
  /** The volume name or host directory, for outputs. */
  readonly location: pulumi.Output<string>;
}

/**
 * The one place that decides what happens to a container's data on destroy: a named volume (created here) is left on
 * the host unless the stack opted in with `destroyDeletesData`, and a later `pulumi up` adopts it again by name; a
 * host directory is never touched by Pulumi.
 */
export function persistentStorage(
  childName: string,
  location: DataLocation,
  opts: {
    parent?: pulumi.Resource;
    labels: { label: string; value: string }[];
    destroyDeletesData?: boolean;
    transform?: Transform<docker.VolumeArgs>;
    /** Where the volume was registered before (a move keeps the volume: no delete, no create). */
    aliases?: pulumi.Input<pulumi.Alias | string>[];
  },
): PersistentStorage {
  if (location.kind === "hostPath") return { source: { hostPath: location.path }, location: pulumi.output(location.path) };
  const volume = new docker.Volume(
    ...applyTransform(
      opts.transform,
      childName,
      { name: location.name, labels: opts.labels },
      { parent: opts.parent, retainOnDelete: !opts.destroyDeletesData, aliases: opts.aliases },
    ),
  );
  return { volume, source: { volumeName: volume.name }, location: volume.name };
}
