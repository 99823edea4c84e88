import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import {
  checkContainerArgs,
  dockerLabels,
  dockerName,
  jsonFileLogging,
  type ContainerComponentArgs,
  type DataLocation,
  isPersistentStorage,
  PASSWORD_FILE,
  persistentStorage,
  type PersistentStorage,
} from "../docker-common";
import { ArgumentChecks, nonEmpty, port, wholeNumber } from "../args";
import { sqlIdentifier } from "../database/model";
import { backupScheduleRule } from "./schedule";
import { applyTransform, type Transform } from "../transform";
import { engineIgnoreChanges, goDuration } from "../docker-read-back";

/** Where the sidecar writes dumps inside its container (the image's BACKUP_DIR). */
export const BACKUP_DIR = "/backups";

/**
 * pg_dump options for the sidecar. The whole database in custom format, the form TimescaleDB documents as restorable
 * (timescaledb_pre_restore(), pg_restore without -j, timescaledb_post_restore(); see scripts/restore-backup.sh).
 *
 * The seed's `--schema=crypto_scout --blobs` is deliberately gone: hypertable rows live in chunks in
 * `_timescaledb_internal` and a schema-filtered dump also leaves out the extension, so such a dump restores to empty
 * tables and no hypertables (measured on TimescaleDB 2.28: 20,000 rows dumped to a 1.9 KB file that restored 0 rows).
 */
export const DUMP_OPTIONS = "--format=custom --compress=6";
/** Custom-format dumps are not SQL text; the suffix says so and the image's rotation matches files by it. */
export const DUMP_SUFFIX = ".dump";

export interface BackupSidecarArgs extends ContainerComponentArgs {
  /**
   * The image, pinned to the server's PostgreSQL major so pg_dump matches the server.
   * @example "prodrigestivill/postgres-backup-local:17"
   */
  readonly image: pulumi.Input<string>;
  /**
   * Container name.
   * @example "crypto-scout-backup"
   */
  readonly containerName: string;
  /**
   * The network shared with the server.
   * @example server.networkName
   */
  readonly networkName: pulumi.Input<string>;
  /**
   * The server's name on that network.
   * @default "timescaledb"
   */
  readonly serverHost?: string;
  /**
   * Database to dump.
   * @default "crypto_scout"
   */
  readonly database?: pulumi.Input<string>;
  /**
   * User the dumps run as.
   * @default "crypto_scout_db"
   */
  readonly user?: pulumi.Input<string>;
  /**
   * That user's password; uploaded as a file and read through `POSTGRES_PASSWORD_FILE`. Pass a secret.
   * @example server.superuserPassword
   */
  readonly password: pulumi.Input<string>;
  /**
   * When to back up, as the image's scheduler reads it (go-cron on robfig/cron v3: descriptors, `@every <Go
   * duration>`, or 5 or 6 cron fields; see schedule.ts).
   * @default "@daily"
   * @example "0 3 * * *"
   */
  readonly schedule?: string;
  /**
   * Rotation: daily, weekly and monthly dumps kept.
   * @default { days: 7, weeks: 4, months: 6 }
   */
  readonly keep?: { readonly days: number; readonly weeks: number; readonly months: number };
  /**
   * Where dumps are written: a named volume (created here) or an existing host directory, which must be writable
   * by the container's user; or storage the caller created with `persistentStorage` (to mount it elsewhere too, e.g.
   * read-only into the server for the backup-age metric).
   * @example { kind: "volume", name: "crypto-scout-backups" }
   * @example { kind: "hostPath", path: "/srv/crypto-scout/backups" }
   */
  readonly location: DataLocation | PersistentStorage;
  /**
   * Port of the sidecar's health endpoint inside the container.
   * @default 8080
   */
  readonly healthPort?: number;
  /** Adjust a child's args before it is created. */
  readonly transform?: {
    readonly image?: Transform<docker.RemoteImageArgs>;
    readonly volume?: Transform<docker.VolumeArgs>;
    readonly container?: Transform<docker.ContainerArgs>;
  };
}

/**
 * The backup sidecar: scheduled, rotated, whole-database dumps of the server. The seed's compose service `pgbackups`,
 * with its credentials from the generated secret and its dump options fixed (see DUMP_OPTIONS). Restore with
 * scripts/restore-backup.sh.
 *
 * @example
 * const backup = new BackupSidecar("backup", {
 *   image: "prodrigestivill/postgres-backup-local:17",
 *   containerName: "crypto-scout-backup",
 *   networkName: server.networkName,
 *   password: server.superuserPassword,
 *   schedule: "0 3 * * *",
 *   keep: { days: 7, weeks: 4, months: 6 },
 *   location: { kind: "hostPath", path: "/srv/crypto-scout/backups" },
 * }, { dependsOn: [server] });
 */
export class BackupSidecar extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume?: docker.Volume;
  /** The volume name or host directory holding the dumps. */
  public readonly location: pulumi.Output<string>;

  constructor(name: string, args: BackupSidecarArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crypto-scout:backup:BackupSidecar", name, {}, opts);
    checkBackupArgs(new ArgumentChecks(this, `BackupSidecar "${name}"`), args);
    const keep = args.keep ?? { days: 7, weeks: 4, months: 6 };
    const healthPort = args.healthPort ?? 8080;
    const labels = dockerLabels(args.labels);

    const image = new docker.RemoteImage(
      ...applyTransform(args.transform?.image, `${name}-image`, { name: args.image, keepLocally: true }, { parent: this }),
    );

    const storage = isPersistentStorage(args.location)
      ? args.location
      : persistentStorage(`${name}-volume`, args.location, {
          parent: this,
          labels,
          destroyDeletesData: args.destroyDeletesData,
          transform: args.transform?.volume,
        });
    this.volume = storage.volume;

    this.container = new docker.Container(
      ...applyTransform(
        args.transform?.container,
        `${name}-container`,
        {
          name: args.containerName,
          image: image.imageId,
          envs: pulumi.all([args.database ?? "crypto_scout", args.user ?? "crypto_scout_db"]).apply(([db, user]) => [
            `POSTGRES_HOST=${args.serverHost ?? "timescaledb"}`,
            "POSTGRES_PORT=5432",
            `POSTGRES_DB=${db}`,
            `POSTGRES_USER=${user}`,
            `POSTGRES_PASSWORD_FILE=${PASSWORD_FILE}`,
            `POSTGRES_EXTRA_OPTS=${DUMP_OPTIONS}`,
            `BACKUP_SUFFIX=${DUMP_SUFFIX}`,
            `BACKUP_DIR=${BACKUP_DIR}`,
            `SCHEDULE=${args.schedule ?? "@daily"}`,
            `BACKUP_KEEP_DAYS=${keep.days}`,
            `BACKUP_KEEP_WEEKS=${keep.weeks}`,
            `BACKUP_KEEP_MONTHS=${keep.months}`,
            `HEALTHCHECK_PORT=${healthPort}`,
            "TZ=UTC",
          ]),
          uploads: [{ file: PASSWORD_FILE, content: pulumi.secret(args.password), permissions: "0400" }],
          volumes: [{ ...storage.source, containerPath: BACKUP_DIR }],
          networksAdvanced: [{ name: args.networkName }],
          healthcheck: {
            tests: ["CMD-SHELL", `curl -fsS http://localhost:${healthPort}/ || exit 1`],
            interval: goDuration(60),
            timeout: goDuration(5),
            retries: 3,
            startPeriod: goDuration(30),
          },
          // pg_dump of a large database can take a while and a few hundred MB; it must not starve the server. Swap is
          // set (to none) because unset, Docker stores twice the limit and the provider reads that back as a change.
          memory: 512,
          memorySwap: 512,
          restart: "unless-stopped",
          ...jsonFileLogging(args.logRotation, args.engine),
          mustRun: true,
          removeVolumes: false,
          labels,
        },
        {
          parent: this,
          deleteBeforeReplace: true,
          dependsOn: storage.volume ? [storage.volume] : [],
          ignoreChanges: engineIgnoreChanges(args.engine, "Container"),
        },
      ),
    );

    this.location = storage.location;
    this.registerOutputs({ location: this.location, containerName: this.container.name });
  }
}

/** What the sidecar's image needs to start and keep running (its scheduler exits on a schedule it cannot parse). */
function checkBackupArgs(check: ArgumentChecks, args: BackupSidecarArgs): void {
  checkContainerArgs(check, args);
  check
    .check("containerName", args.containerName, dockerName)
    .check("networkName", args.networkName, dockerName)
    .check("serverHost", args.serverHost, dockerName)
    .check("password", args.password, nonEmpty)
    .check("database", args.database, sqlIdentifier)
    .check("user", args.user, sqlIdentifier)
    .check("keep.days", args.keep?.days, wholeNumber(0, 3650))
    .check("keep.weeks", args.keep?.weeks, wholeNumber(0, 520))
    .check("keep.months", args.keep?.months, wholeNumber(0, 120))
    .check("healthPort", args.healthPort, port)
    .check("schedule", args.schedule, backupScheduleRule);
}
