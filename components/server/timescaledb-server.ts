import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import {
  checkContainerArgs,
  dockerLabels,
  dockerName,
  jsonFileLogging,
  type ContainerComponentArgs,
  type DataLocation,
  PASSWORD_FILE,
  persistentStorage,
  type PersistentStorage,
  reachableHost,
  SERVER_ALIASES,
} from "../docker-common";
import { applyTransform, type Transform } from "../transform";
import { MiB } from "../config/units";
import { databaseUrl } from "../database/url";
import { sqlIdentifier } from "../database/model";
import { cpusRoundTrip, dockerCpus, engineIgnoreChanges, goDuration } from "../docker-read-back";
import { ArgumentChecks, ipAddress, nonEmpty, port, wholeNumber } from "../args";
import { SCRAM_SALT_BYTES, scramSha256Verifier } from "../database/scram";

/** PostgreSQL's data directory in the timescale/timescaledb images (PGDATA). */
export const PGDATA = "/var/lib/postgresql/data";
/** The port PostgreSQL listens on inside the container. */
export const CONTAINER_PORT = 5432;
/**
 * The server's entrypoint script in this repository: re-syncs the superuser password on a cluster that exists
 * already, then runs the image's own entrypoint (see the script's header). Uploaded as it is; the drill in
 * test/server-entrypoint.test.ts runs this same file.
 */
export const ENTRYPOINT_SCRIPT_PATH = path.join(__dirname, "crypto-scout-entrypoint.sh");
/** Where the script goes in the container: on PATH beside the image's docker-entrypoint.sh. */
export const ENTRYPOINT_FILE = "/usr/local/bin/crypto-scout-entrypoint.sh";
/** The superuser password's SCRAM-SHA-256 verifier, read by the entrypoint script. */
export const VERIFIER_FILE = "/run/secrets/postgres-password-verifier";
/** uid and gid of `postgres` in the Alpine-based image (docker-library/postgres 17/alpine3.23/Dockerfile: "70 is the standard uid/gid"). */
const POSTGRES_UID = "70";

export interface TimescaleServerArgs extends ContainerComponentArgs {
  /**
   * The image, pinned to a release. Never `latest`: a re-pull must not change the server under the data.
   * @example "timescale/timescaledb:2.29.2-pg17"
   */
  readonly image: pulumi.Input<string>;
  /**
   * Name of the user-defined bridge network this component creates; the backup sidecar joins it.
   * @example "crypto-scout"
   */
  readonly networkName: string;
  /**
   * Container name.
   * @example "crypto-scout-timescaledb"
   */
  readonly containerName: string;
  /**
   * Database created at init.
   * @default "crypto_scout"
   */
  readonly database?: string;
  /**
   * Superuser created at init.
   * @default "crypto_scout_db"
   */
  readonly superuser?: string;
  /**
   * The superuser's password. It reaches the container as a file (`POSTGRES_PASSWORD_FILE`, which initdb uses on an
   * empty data directory), never as an environment variable, so `docker inspect` does not show it; an existing cluster
   * gets it as its SCRAM-SHA-256 verifier (see `superuserPasswordSalt`). Pass a secret.
   * @example new random.RandomPassword("pw", { length: 32 }).result
   */
  readonly superuserPassword: pulumi.Input<string>;
  /**
   * Salt of the superuser password's SCRAM-SHA-256 verifier: 16 bytes in base64, generated once and kept in state so
   * the verifier (and so the container) stays the same on every up. The container's entrypoint sets the superuser's
   * password from that verifier whenever it starts on an existing cluster, so a data directory kept from an earlier
   * stack (after `pulumi destroy`, or adopted through `dataHostPath`) takes the password this stack generated.
   * @example new random.RandomBytes("salt", { length: 16 }).base64
   */
  readonly superuserPasswordSalt: pulumi.Input<string>;
  /**
   * The container command, `postgres -c key=value ...`, from the tuning module.
   * @example ["postgres", "-c", "shared_preload_libraries=timescaledb", "-c", "max_connections=200"]
   */
  readonly command: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Where `PGDATA` lives: a named volume (created here) or an existing host directory.
   * @example { kind: "volume", name: "crypto-scout-data" }
   * @example { kind: "hostPath", path: "/srv/crypto-scout/data/postgresql" }
   */
  readonly data: DataLocation;
  /**
   * Host address the port is published on.
   * @default "127.0.0.1"
   */
  readonly bindAddress?: string;
  /**
   * Host port.
   * @default 5432
   */
  readonly hostPort?: number;
  /**
   * Memory limit in bytes; swap is not allowed on top of it.
   * @example 8 * 1024 ** 3
   */
  readonly memoryBytes: number;
  /**
   * CPU limit.
   * @example 2
   */
  readonly cpus: number;
  /**
   * Size of /dev/shm in bytes.
   * @default 1 GiB
   */
  readonly shmSizeBytes?: number;
  /**
   * `nofile` ulimit, soft and hard.
   * @default 262144
   */
  readonly nofileLimit?: number;
  /**
   * Seconds docker waits after the stop signal (SIGINT: PostgreSQL's fast shutdown, which still writes the shutdown
   * checkpoint) before it kills the server. Docker's default 10 s can cut a checkpoint of a large `max_wal_size` short,
   * which costs crash recovery at the next start.
   * @default 300
   */
  readonly stopGracePeriodSeconds?: number;
  /**
   * Wait on create until the engine reports the container healthy. Podman without systemd never reports a health
   * status, so it is off there by default; the database stage's own readiness check still gates every connection.
   * @default true on docker, false on podman
   */
  readonly waitForHealthy?: boolean;
  /**
   * How long to wait for healthy, in seconds (first start includes initdb).
   * @default 300
   */
  readonly readyTimeoutSeconds?: number;
  /**
   * More storage for the server to see, read-only, e.g. the backup volume for the backup-age metric.
   * @default []
   * @example [{ source: backupStorage.source, containerPath: "/backups" }]
   */
  readonly readOnlyMounts?: readonly { readonly source: PersistentStorage["source"]; readonly containerPath: string }[];
  /**
   * Configuration files uploaded into the container, readable by the server's user only (uid 70), e.g. the
   * pg_hba.conf the command line names with `-c hba_file=...`. A change replaces the container (uploads are ForceNew).
   * @default []
   * @example [{ file: "/etc/crypto-scout/pg_hba.conf", content: pgHbaConf("crypto_scout_replication") }]
   */
  readonly configFiles?: readonly { readonly file: string; readonly content: pulumi.Input<string> }[];
  /** Adjust a child's args before it is created. */
  readonly transform?: {
    readonly image?: Transform<docker.RemoteImageArgs>;
    readonly network?: Transform<docker.NetworkArgs>;
    readonly volume?: Transform<docker.VolumeArgs>;
    readonly container?: Transform<docker.ContainerArgs>;
  };
}

/**
 * The TimescaleDB server: image, network, data volume and the container with its tuning command line, shared memory,
 * ulimits, limits, health check, graceful stop and log rotation. The seed's compose service `postgres`, as code, plus
 * an entrypoint that gives a kept cluster the superuser password this stack generated (crypto-scout-entrypoint.sh).
 * Every value reaches the docker provider in the form it reads back (docker-read-back.ts), so an unchanged stack
 * converges; bad arguments are refused with a `pulumi.ResourceError` before anything is created.
 *
 * @example
 * const server = new TimescaleServer("timescaledb", {
 *   image: "timescale/timescaledb:2.29.2-pg17",
 *   networkName: "crypto-scout",
 *   containerName: "crypto-scout-timescaledb",
 *   superuserPassword: new random.RandomPassword("pw", { length: 32, special: false }).result,
 *   superuserPasswordSalt: new random.RandomBytes("pw-salt", { length: 16 }).base64,
 *   command: postgresCommand(tunePostgres({ memoryBytes: 8 * 1024 ** 3, cpus: 2, maxConnections: 200, postgresMajor: 17 }).settings),
 *   data: { kind: "volume", name: "crypto-scout-data" },
 *   memoryBytes: 8 * 1024 ** 3,
 *   cpus: 2,
 * });
 * export const url = server.connectionUrl; // secret
 */
export class TimescaleServer extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly network: docker.Network;
  public readonly dataVolume?: docker.Volume;
  /** Address to reach the server from the Docker host: the bind address, or loopback when bound to all interfaces. */
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  public readonly database: pulumi.Output<string>;
  public readonly superuser: pulumi.Output<string>;
  public readonly superuserPassword: pulumi.Output<string>;
  /** `postgresql://user:password@host:port/database`, secret. */
  public readonly connectionUrl: pulumi.Output<string>;
  public readonly containerName: pulumi.Output<string>;
  public readonly networkName: pulumi.Output<string>;

  constructor(name: string, args: TimescaleServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crypto-scout:server:TimescaleServer", name, {}, opts);
    checkServerArgs(new ArgumentChecks(this, `TimescaleServer "${name}"`), args);
    const database = args.database ?? "crypto_scout";
    const superuser = args.superuser ?? "crypto_scout_db";
    const bindAddress = args.bindAddress ?? "127.0.0.1";
    const hostPort = args.hostPort ?? CONTAINER_PORT;
    const graceSeconds = args.stopGracePeriodSeconds ?? 300;
    const labels = dockerLabels(args.labels);
    const password = pulumi.secret(args.superuserPassword);
    // Only the verifier reaches the server's catalog through the entrypoint; it is secret all the same.
    const verifier = pulumi.secret(pulumi.all([password, args.superuserPasswordSalt]).apply(([pw, salt]) => scramSha256Verifier(pw, salt)));

    const image = new docker.RemoteImage(
      ...applyTransform(args.transform?.image, `${name}-image`, { name: args.image, keepLocally: true }, { parent: this }),
    );

    this.network = new docker.Network(
      ...applyTransform(
        args.transform?.network,
        `${name}-network`,
        { name: args.networkName, driver: "bridge", labels },
        { parent: this, ignoreChanges: engineIgnoreChanges(args.engine, "Network") },
      ),
    );

    const data = persistentStorage(`${name}-data`, args.data, {
      parent: this,
      labels,
      destroyDeletesData: args.destroyDeletesData,
      transform: args.transform?.volume,
    });
    this.dataVolume = data.volume;

    this.container = new docker.Container(
      ...applyTransform(
        args.transform?.container,
        `${name}-container`,
        {
          name: args.containerName,
          image: image.imageId,
          // The script runs first and execs the image's ENTRYPOINT (docker-entrypoint.sh, postgres:17-alpine
          // Dockerfile) with the same command, so initdb on an empty PGDATA is the image's as before. The provider
          // reads Config.Entrypoint back as sent (docker-read-back.ts).
          entrypoints: [ENTRYPOINT_FILE],
          command: args.command,
          envs: [
            `POSTGRES_DB=${database}`,
            `POSTGRES_USER=${superuser}`,
            `POSTGRES_PASSWORD_FILE=${PASSWORD_FILE}`,
            // SCRAM for local (socket) and host connections from initdb on; the entrypoint's pg_hba line for
            // remote hosts uses POSTGRES_HOST_AUTH_METHOD. Both only act when the data directory is empty.
            "POSTGRES_INITDB_ARGS=--auth-local=scram-sha-256 --auth-host=scram-sha-256",
            "POSTGRES_HOST_AUTH_METHOD=scram-sha-256",
            // The image runs timescaledb-tune once at init and writes postgresql.conf; our command line is the one
            // source of truth, so the init-time tune is switched off rather than left to be overridden.
            "NO_TS_TUNE=true",
            `PGDATA=${PGDATA}`,
            // A path, not the verifier: docker inspect shows the environment.
            `CRYPTO_SCOUT_SUPERUSER_VERIFIER_FILE=${VERIFIER_FILE}`,
            "TZ=UTC",
          ],
          // Uploaded after create and before start (the provider's resourceDockerContainerCreate copies them in, then
          // starts the container), so the entrypoint finds them at the first start and at every restart.
          uploads: [
            { file: PASSWORD_FILE, content: password, permissions: "0400", owner: POSTGRES_UID, group: POSTGRES_UID },
            { file: VERIFIER_FILE, content: verifier, permissions: "0400", owner: POSTGRES_UID, group: POSTGRES_UID },
            // Root's, read-only: the container starts it as root; nobody inside may change it.
            { file: ENTRYPOINT_FILE, content: entrypointScript(), permissions: "0555", owner: "0", group: "0" },
            ...(args.configFiles ?? []).map((f) => ({ file: f.file, content: f.content, permissions: "0400", owner: POSTGRES_UID, group: POSTGRES_UID })),
          ],
          volumes: [{ ...data.source, containerPath: PGDATA }, ...(args.readOnlyMounts ?? []).map((m) => ({ ...m.source, containerPath: m.containerPath, readOnly: true }))],
          networksAdvanced: [{ name: this.network.name, aliases: [...SERVER_ALIASES] }],
          ports: [{ internal: CONTAINER_PORT, external: hostPort, ip: bindAddress, protocol: "tcp" }],
          shmSize: Math.round((args.shmSizeBytes ?? 1024 * MiB) / MiB),
          ulimits: [{ name: "nofile", soft: args.nofileLimit ?? 262144, hard: args.nofileLimit ?? 262144 }],
          memory: Math.floor(args.memoryBytes / MiB),
          memorySwap: Math.floor(args.memoryBytes / MiB),
          // Values in the form the provider reads them back (docker-read-back.ts), so an unchanged stack converges.
          cpus: dockerCpus(args.cpus),
          healthcheck: {
            // Over TCP, so the check fails while initdb's temporary server (socket only) is up.
            tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(CONTAINER_PORT), "-U", superuser, "-d", database],
            interval: goDuration(10),
            timeout: goDuration(5),
            retries: 5,
            startPeriod: goDuration(30),
          },
          restart: "unless-stopped",
          stopSignal: "SIGINT",
          stopTimeout: graceSeconds,
          destroyGraceSeconds: graceSeconds,
          ...jsonFileLogging(args.logRotation, args.engine),
          wait: args.waitForHealthy ?? args.engine !== "podman",
          waitTimeout: args.readyTimeoutSeconds ?? 300,
          mustRun: true,
          removeVolumes: false,
          labels,
        },
        // The name is fixed, so a replacement must remove the old container first; the data is in the volume.
        {
          parent: this,
          deleteBeforeReplace: true,
          dependsOn: data.volume ? [data.volume] : [],
          ignoreChanges: engineIgnoreChanges(args.engine, "Container"),
        },
      ),
    );

    const host = reachableHost(bindAddress);
    this.host = pulumi.output(host);
    this.port = pulumi.output(hostPort);
    this.database = pulumi.output(database);
    this.superuser = pulumi.output(superuser);
    this.superuserPassword = password;
    this.connectionUrl = pulumi.secret(password.apply((pw) => databaseUrl({ host, port: hostPort, database, user: superuser, password: pw })));
    this.containerName = this.container.name;
    this.networkName = this.network.name;

    this.registerOutputs({
      host: this.host,
      port: this.port,
      database: this.database,
      superuser: this.superuser,
      superuserPassword: this.superuserPassword,
      connectionUrl: this.connectionUrl,
      containerName: this.containerName,
      networkName: this.networkName,
    });
  }
}

/** The entrypoint script's text, as the container gets it. */
export function entrypointScript(): string {
  return fs.readFileSync(ENTRYPOINT_SCRIPT_PATH, "utf8");
}

/** The limits a TimescaleDB server needs at the least, and the forms Docker takes them in. */
function checkServerArgs(check: ArgumentChecks, args: TimescaleServerArgs): void {
  checkContainerArgs(check, args);
  check
    .check("networkName", args.networkName, dockerName)
    .check("containerName", args.containerName, dockerName)
    // The image's init scripts use both unquoted.
    .check("database", args.database, sqlIdentifier)
    .check("superuser", args.superuser, sqlIdentifier)
    .check("superuserPassword", args.superuserPassword, nonEmpty)
    .check("command", args.command, (v) => (Array.isArray(v) && v.length > 0 ? undefined : "the postgres command line, e.g. [\"postgres\", \"-c\", \"max_connections=200\"]"))
    .check("bindAddress", args.bindAddress, ipAddress)
    .check("hostPort", args.hostPort, port)
    // Bytes, not MiB: 8192 here is 8 KiB, which Docker would round to no limit at all.
    .check("memoryBytes", args.memoryBytes, wholeNumber(256 * MiB, Number.MAX_SAFE_INTEGER, "(bytes: at least 256 MiB, e.g. 8 * 1024 ** 3 for 8 GiB)"))
    .check("cpus", args.cpus, (v) => (v > 0 && cpusRoundTrip(v) ? undefined : `a CPU count above 0 that Docker keeps as given, such as 2 or 1.5 (${v} would be read back as ${dockerCpus(v)})`))
    .check("shmSizeBytes", args.shmSizeBytes, wholeNumber(64 * MiB, Number.MAX_SAFE_INTEGER, "(bytes: at least 64 MiB for PostgreSQL's dynamic shared memory)"))
    .check("nofileLimit", args.nofileLimit, wholeNumber(1024, 1048576))
    .check("stopGracePeriodSeconds", args.stopGracePeriodSeconds, wholeNumber(0, 86400, "(seconds)"))
    .check("readyTimeoutSeconds", args.readyTimeoutSeconds, wholeNumber(1, 86400, "(seconds)"));
  // Kept secret in state like the password, so a bad one is described, not shown.
  const salt = args.superuserPasswordSalt as unknown;
  const saltRule = `${SCRAM_SALT_BYTES} bytes in base64, e.g. new random.RandomBytes("salt", { length: ${SCRAM_SALT_BYTES} }).base64`;
  if (salt === undefined || salt === null) check.invalid("superuserPasswordSalt", `required: ${saltRule}`);
  if (typeof salt === "string" && !(Buffer.from(salt, "base64").length === SCRAM_SALT_BYTES && Buffer.from(salt, "base64").toString("base64") === salt)) {
    check.invalid("superuserPasswordSalt", `expected ${saltRule} (the value is not shown)`);
  }
}
