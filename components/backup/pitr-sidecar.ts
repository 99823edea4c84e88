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
  persistentStorage,
  type PersistentStorage,
} from "../docker-common";
import { ArgumentChecks, nonEmpty, port } from "../args";
import { sqlIdentifier } from "../database/model";
import { applyTransform, type Transform } from "../transform";
import { engineIgnoreChanges, goDuration } from "../docker-read-back";
import { pitrHealthCheck, PITR_DEFAULTS, PITR_DIR, PITR_PGPASS_FILE, PITR_SCRIPT, PITR_SLOT, pitrRules, pitrScript, pgpassLine, REPLICATION_ROLE } from "./pitr";

export interface PitrSidecarArgs extends ContainerComponentArgs {
  /**
   * The official PostgreSQL image of the server's major, pinned to a release (its client binaries run here).
   * @example "postgres:17.9-alpine3.23"
   */
  readonly image: pulumi.Input<string>;
  /**
   * Container name.
   * @example "crypto-scout-pitr"
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
   * The server's port on that network.
   * @default 5432
   */
  readonly serverPort?: number;
  /**
   * The replication role.
   * @default "crypto_scout_replication"
   */
  readonly user?: string;
  /**
   * That role's password; it reaches the container only as a libpq password file (`PGPASSFILE`, 0600). Pass a secret.
   * @example replication.password
   */
  readonly password: pulumi.Input<string>;
  /**
   * Where WAL, base backups and status are kept: a named volume (created here) or a host directory; or storage the
   * caller created with `persistentStorage`, to mount it read-only into the server too (metrics, restores).
   * @example { kind: "volume", name: "crypto-scout-pitr" }
   */
  readonly location: DataLocation | PersistentStorage;
  /**
   * Verified base backups kept; the WAL before the oldest kept one is removed.
   * @default 2
   */
  readonly keepBaseBackups?: number;
  /**
   * Seconds between base backups.
   * @default 86400
   */
  readonly baseBackupIntervalSeconds?: number;
  /** Adjust a child's args before it is created. */
  readonly transform?: {
    readonly image?: Transform<docker.RemoteImageArgs>;
    readonly volume?: Transform<docker.VolumeArgs>;
    readonly container?: Transform<docker.ContainerArgs>;
  };
}

/**
 * The PITR sidecar: `pitr.sh run` (components/backup/pitr.ts) in the official PostgreSQL image, as the image's
 * postgres user (uid 70, the server image's too): pg_receivewal streams WAL through a replication slot into
 * `<location>/wal`, pg_basebackup and pg_verifybackup take and check a base backup every interval into
 * `<location>/base`, and retention keeps the last N and the WAL they need. The script is uploaded, not baked into
 * an image, so `pulumi up` needs no build. Restore with scripts/restore-pitr.sh; runbooks in docs/pitr.md.
 *
 * The archive is the stack's data: destroy keeps the volume unless the stack sets destroyDeletesData
 * (`persistentStorage`).
 *
 * @example
 * const pitr = new PitrSidecar("pitr", {
 *   image: "postgres:17.9-alpine3.23",
 *   containerName: "crypto-scout-pitr",
 *   networkName: server.networkName,
 *   password: replication.password,
 *   location: { kind: "volume", name: "crypto-scout-pitr" },
 * }, { dependsOn: [replication] });
 */
export class PitrSidecar extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume?: docker.Volume;
  /** The volume name or host directory holding the archive. */
  public readonly location: pulumi.Output<string>;

  constructor(name: string, args: PitrSidecarArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crypto-scout:backup:PitrSidecar", name, {}, opts);
    checkPitrArgs(new ArgumentChecks(this, `PitrSidecar "${name}"`), args);
    const labels = dockerLabels(args.labels);
    const host = args.serverHost ?? "timescaledb";
    const serverPort = args.serverPort ?? 5432;
    const user = args.user ?? REPLICATION_ROLE;

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

    const script = pitrScript({
      host,
      port: serverPort,
      user,
      passFile: PITR_PGPASS_FILE,
      dir: PITR_DIR,
      slot: PITR_SLOT,
      keepBaseBackups: args.keepBaseBackups ?? PITR_DEFAULTS.keepBaseBackups,
      baseBackupIntervalSeconds: args.baseBackupIntervalSeconds ?? PITR_DEFAULTS.baseBackupIntervalSeconds,
    });

    this.container = new docker.Container(
      ...applyTransform(
        args.transform?.container,
        `${name}-container`,
        {
          name: args.containerName,
          image: image.imageId,
          // The image's entrypoint runs any command other than `postgres` as given (docker-library/postgres
          // docker-entrypoint.sh: `exec "$@"`), here as root: the archive's top directory is handed to the postgres
          // user (a new volume's root is root's), then gosu drops to it for the script.
          command: ["sh", "-c", `chown postgres:postgres ${PITR_DIR} && chmod 0700 ${PITR_DIR} && exec gosu postgres sh ${PITR_SCRIPT} run`],
          envs: ["TZ=UTC"],
          uploads: [
            { file: PITR_SCRIPT, content: script, permissions: "0755" },
            {
              file: PITR_PGPASS_FILE,
              content: pulumi.secret(pulumi.output(args.password).apply((pw) => pgpassLine(host, serverPort, user, pw))),
              permissions: "0600",
              owner: "70",
              group: "70",
            },
          ],
          volumes: [{ ...storage.source, containerPath: PITR_DIR }],
          networksAdvanced: [{ name: args.networkName }],
          // Healthy while the WAL receiver runs, the last verification passed and base backups are on time.
          healthcheck: {
            tests: ["CMD-SHELL", pitrHealthCheck(PITR_DIR, args.baseBackupIntervalSeconds ?? PITR_DEFAULTS.baseBackupIntervalSeconds)],
            interval: goDuration(60),
            timeout: goDuration(5),
            retries: 3,
            startPeriod: goDuration(60),
          },
          // An init process reaps the script's children and passes the stop signal on (sh as PID 1 ignores SIGTERM).
          init: true,
          // pg_basebackup streams; it needs little memory. Swap set (to none) so the read-back matches.
          memory: 256,
          memorySwap: 256,
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

/** The script's own rules (pitrRules), refused before anything is created. */
function checkPitrArgs(check: ArgumentChecks, args: PitrSidecarArgs): void {
  checkContainerArgs(check, args);
  check
    .check("containerName", args.containerName, dockerName)
    .check("networkName", args.networkName, dockerName)
    .check("serverHost", args.serverHost, dockerName)
    .check("serverPort", args.serverPort, port)
    .check("user", args.user, sqlIdentifier)
    .check("password", args.password, nonEmpty)
    .check("keepBaseBackups", args.keepBaseBackups, pitrRules.keepBaseBackups)
    .check("baseBackupIntervalSeconds", args.baseBackupIntervalSeconds, pitrRules.baseBackupIntervalSeconds);
}
