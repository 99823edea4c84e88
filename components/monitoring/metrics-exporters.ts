import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { checkContainerArgs, dockerLabels, dockerName, dockerNames, jsonFileLogging, reachableHost, type ContainerComponentArgs } from "../docker-common";
import { hostPort } from "../database/url";
import { engineIgnoreChanges } from "../docker-read-back";
import { applyTransform, type Transform } from "../transform";
import { ArgumentChecks, ipAddress, nonEmpty, port } from "../args";
import { sqlIdentifier } from "../database/model";
import { backupScheduleRule } from "../backup/schedule";
import { pitrRules } from "../backup/pitr";
import { SQL_EXPORTER_CONFIG, SQL_EXPORTER_DIR, sqlExporterConfig, stackCollector, timescaledbCollector } from "./sql-exporter";

/**
 * Pinned releases (prometheus-community/postgres_exporter v0.20.1, burningalchemist/sql_exporter 0.24.6). Both images
 * have the exporter as ENTRYPOINT and run as `nobody` (their Dockerfiles), so `command` below is the exporter's flags.
 */
export const POSTGRES_EXPORTER_IMAGE = "quay.io/prometheuscommunity/postgres-exporter:v0.20.1";
export const SQL_EXPORTER_IMAGE = "burningalchemist/sql_exporter:0.24.6";
/** The ports the exporters listen on inside their containers (their defaults). */
export const POSTGRES_EXPORTER_PORT = 9187;
export const SQL_EXPORTER_PORT = 9399;
/** Both images run as `nobody` (uid 65534): uploaded files are theirs, readable by no one else. */
const NOBODY = "65534";
const PASSWORD_FILE = "/run/secrets/monitoring-password";

export interface MetricsExportersArgs extends ContainerComponentArgs {
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
   * Database to watch.
   * @default "crypto_scout"
   */
  readonly database?: string;
  /**
   * The schema the stage's objects (the backup-age function) live in.
   * @default "crypto_scout"
   */
  readonly schema?: string;
  /**
   * The monitoring login role (pg_monitor, CONNECT; see components/database/monitoring.ts).
   * @example stage.monitoringRoleName
   */
  readonly user: string;
  /**
   * Its password: uploaded as a file (postgres_exporter reads DATA_SOURCE_PASS_FILE) and inside sql_exporter's
   * config file, never an environment value. Pass a secret.
   */
  readonly password: pulumi.Input<string>;
  /**
   * Container names: `<prefix>-postgres-exporter` and `<prefix>-sql-exporter`.
   * @example "crypto-scout"
   */
  readonly namePrefix: string;
  /**
   * Host address the metrics ports are published on.
   * @default "127.0.0.1"
   */
  readonly bindAddress?: string;
  /**
   * Host ports of postgres_exporter's and sql_exporter's /metrics.
   * @default { postgresExporter: 9187, sqlExporter: 9399 }
   */
  readonly ports?: { readonly postgresExporter: number; readonly sqlExporter: number };
  /**
   * Export backup freshness: the server sees the backup volume at this path (a read-only mount) and the stage creates
   * the backup-age function. Unset: no backup metrics.
   * @example "/backups/last/crypto_scout-latest.dump"
   */
  readonly backupFile?: string;
  /**
   * The backup sidecar's schedule (config backupSchedule): the longest wait between two dumps it allows is exported
   * with the backup age, so the backup-age alert follows it. Only with `backupFile`.
   * @default "@daily"
   */
  readonly backupSchedule?: string;
  /**
   * Export the point-in-time archive's metrics for this replication slot (components/backup/pitr.ts pitrMetrics).
   * Unset: none.
   * @example "crypto_scout_pitr"
   */
  readonly pitrSlot?: string;
  /**
   * Seconds between the archive's base backups (config pitrBaseBackupInterval), exported with the archive's metrics
   * so the stale-base-backup alert follows the stack's config. Only with `pitrSlot`.
   * @default 86400
   */
  readonly pitrBaseBackupIntervalSeconds?: number;
  /**
   * The database size the disk alert measures against, in bytes.
   * @default 200 GiB
   */
  readonly databaseSizeBudgetBytes?: number;
  /** Adjust a child's args before it is created. */
  readonly transform?: {
    readonly postgresExporter?: Transform<docker.ContainerArgs>;
    readonly sqlExporter?: Transform<docker.ContainerArgs>;
  };
}

/**
 * Metrics for the stack's Prometheus: postgres_exporter (server metrics, pg_stat_statements) and sql_exporter
 * (TimescaleDB's hypertables, chunks and jobs from monitoring/timescaledb-collector.yml, the backup age and the
 * schedule's longest interval, the size budget, the point-in-time archive), both on the stack's network, as the monitoring role, their ports published on loopback by default.
 * Alert rules and a dashboard for them are in monitoring/ (docs/monitoring.md "Monitoring").
 *
 * @example
 * const exporters = new MetricsExporters("metrics", {
 *   namePrefix: "crypto-scout",
 *   networkName: server.networkName,
 *   user: stage.monitoringRoleName,
 *   password: stage.monitoringPassword,
 *   backupFile: "/backups/last/crypto_scout-latest.dump",
 * }, { dependsOn: [stage] });
 */
export class MetricsExporters extends pulumi.ComponentResource {
  public readonly postgresExporter: docker.Container;
  public readonly sqlExporter: docker.Container;
  /** `http://<bind address>:<port>/metrics` of each exporter. */
  public readonly endpoints: pulumi.Output<{ postgresExporter: string; sqlExporter: string }>;

  constructor(name: string, args: MetricsExportersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crypto-scout:monitoring:MetricsExporters", name, {}, opts);
    const check = new ArgumentChecks(this, `MetricsExporters "${name}"`);
    checkContainerArgs(check, args);
    check
      .check("namePrefix", args.namePrefix, dockerName)
      .check("networkName", args.networkName, dockerName)
      .check("serverHost", args.serverHost, dockerName)
      .check("database", args.database, sqlIdentifier)
      .check("schema", args.schema, sqlIdentifier)
      .check("user", args.user, sqlIdentifier)
      .check("password", args.password, nonEmpty)
      .check("bindAddress", args.bindAddress, ipAddress)
      .check("ports.postgresExporter", args.ports?.postgresExporter, port)
      .check("ports.sqlExporter", args.ports?.sqlExporter, port)
      .check("backupSchedule", args.backupSchedule, backupScheduleRule)
      .check("pitrBaseBackupIntervalSeconds", args.pitrBaseBackupIntervalSeconds, pitrRules.baseBackupIntervalSeconds);

    const host = args.serverHost ?? "timescaledb";
    const database = args.database ?? "crypto_scout";
    const schema = args.schema ?? "crypto_scout";
    const bindAddress = args.bindAddress ?? "127.0.0.1";
    const ports = args.ports ?? { postgresExporter: POSTGRES_EXPORTER_PORT, sqlExporter: SQL_EXPORTER_PORT };
    const password = pulumi.secret(args.password);
    const labels = dockerLabels(args.labels);
    const common = {
      networksAdvanced: [{ name: args.networkName }],
      restart: "unless-stopped",
      // Small processes; the limit keeps a runaway scrape from touching the server's memory.
      memory: 128,
      memorySwap: 128,
      ...jsonFileLogging(args.logRotation, args.engine),
      mustRun: true,
      removeVolumes: false,
      labels,
    };
    const containerOpts = { parent: this, deleteBeforeReplace: true, ignoreChanges: engineIgnoreChanges(args.engine, "Container") };
    const image = (child: string, imageName: string) =>
      new docker.RemoteImage(`${name}-${child}-image`, { name: imageName, keepLocally: true }, { parent: this }).imageId;

    this.postgresExporter = new docker.Container(
      ...applyTransform(
        args.transform?.postgresExporter,
        `${name}-postgres-exporter`,
        {
          ...common,
          name: dockerNames(args.namePrefix).postgresExporterContainer,
          image: image("postgres-exporter", POSTGRES_EXPORTER_IMAGE),
          // postgres_exporter v0.20.1 exporter/datasource.go: DATA_SOURCE_URI + _USER + _PASS_FILE (the file's
          // content, trimmed, URL-escaped into the DSN).
          envs: [`DATA_SOURCE_URI=${host}:5432/${database}?sslmode=disable`, `DATA_SOURCE_USER=${args.user}`, `DATA_SOURCE_PASS_FILE=${PASSWORD_FILE}`],
          // pg_stat_statements is off by default (collector/pg_stat_statements.go); the program preloads and creates it.
          command: ["--collector.stat_statements", `--web.listen-address=:${POSTGRES_EXPORTER_PORT}`],
          uploads: [{ file: PASSWORD_FILE, content: password, permissions: "0400", owner: NOBODY, group: NOBODY }],
          ports: [{ internal: POSTGRES_EXPORTER_PORT, external: ports.postgresExporter, ip: bindAddress, protocol: "tcp" }],
        },
        containerOpts,
      ),
    );

    const config = password.apply((pw) => sqlExporterConfig({ host, port: 5432, database, user: args.user, password: pw }));
    this.sqlExporter = new docker.Container(
      ...applyTransform(
        args.transform?.sqlExporter,
        `${name}-sql-exporter`,
        {
          ...common,
          name: dockerNames(args.namePrefix).sqlExporterContainer,
          image: image("sql-exporter", SQL_EXPORTER_IMAGE),
          command: [`-config.file=${SQL_EXPORTER_CONFIG}`, `-web.listen-address=:${SQL_EXPORTER_PORT}`],
          // The config holds the DSN with the password: the whole uploads property is secret.
          uploads: pulumi.secret(
            pulumi.output(config).apply((text) => [
              { file: SQL_EXPORTER_CONFIG, content: text, permissions: "0400", owner: NOBODY, group: NOBODY },
              { file: `${SQL_EXPORTER_DIR}/timescaledb.collector.yml`, content: timescaledbCollector(), permissions: "0444" },
              {
                file: `${SQL_EXPORTER_DIR}/crypto_scout.collector.yml`,
                content: stackCollector({ backupFile: args.backupFile, backupSchedule: args.backupSchedule, databaseSizeBudgetBytes: args.databaseSizeBudgetBytes ?? 200 * 1024 ** 3, schema, pitrSlot: args.pitrSlot, pitrBaseBackupIntervalSeconds: args.pitrBaseBackupIntervalSeconds }),
                permissions: "0444",
              },
            ]),
          ),
          ports: [{ internal: SQL_EXPORTER_PORT, external: ports.sqlExporter, ip: bindAddress, protocol: "tcp" }],
        },
        containerOpts,
      ),
    );

    const published = reachableHost(bindAddress);
    this.endpoints = pulumi.output({
      postgresExporter: `http://${hostPort({ host: published, port: ports.postgresExporter })}/metrics`,
      sqlExporter: `http://${hostPort({ host: published, port: ports.sqlExporter })}/metrics`,
    });
    this.registerOutputs({ endpoints: this.endpoints });
  }
}
