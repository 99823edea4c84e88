/**
 * crypto-scout-db: one stack = one TimescaleDB server, its backup sidecar, and the crypto_scout schema with its roles
 * and TimescaleDB policies. Read top to bottom, this file is the seed's compose file and init script:
 *
 *   settings (Pulumi.yaml + Pulumi.<stack>.yaml)  ->  tuning (postgres -c ...)
 *   generated secrets  ->  TimescaleServer (network, volume, container)  ->  BackupSidecar
 *                                           \->  DatabaseStage (provider, extension, schema, roles, grants,
 *                                                               hypertables, compression/reorder/retention policies,
 *                                                               monitoring role)  ->  MetricsExporters
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { isInputError, loadStackDefinition } from "./components/config/stack";
import { pulumiConfigSource } from "./components/config/pulumi-source";
import { dockerLabels, dockerNames, persistentStorage, SERVER_ALIASES } from "./components/docker-common";
import { postgresCommand } from "./components/tuning";
import { TimescaleServer } from "./components/server/timescaledb-server";
import { BackupSidecar, DUMP_SUFFIX } from "./components/backup/backup-sidecar";
import { MetricsExporters } from "./components/monitoring/metrics-exporters";
import { BACKUP_MOUNT } from "./components/monitoring/sql-exporter";
import { DatabaseStage } from "./components/database/database-stage";

// Everything that can be wrong with the stack's config fails here, before any resource is registered, as one line
// (RunError: Pulumi prints the message without a stack trace).
const { settings, tuning, tables } = (() => {
  try {
    return loadStackDefinition(pulumiConfigSource());
  } catch (e) {
    throw isInputError(e) ? new pulumi.RunError(e.message) : e;
  }
})();
for (const warning of tuning.warnings) pulumi.log.warn(warning);

const names = dockerNames(settings.namePrefix);
const labels = { "com.crypto-scout.project": pulumi.getProject(), "com.crypto-scout.stack": pulumi.getStack() };
const logRotation = { maxSizeBytes: settings.logMaxSizeBytes, maxFiles: settings.logMaxFiles };

// The backup volume is created before the server, so the server can see it read-only (the backup-age metric); it
// used to be a child of the sidecar, and the alias keeps it (no delete, no create) on stacks made before.
const backupStorage = settings.backup.enabled
  ? persistentStorage("backup-volume", settings.backup.location, {
      labels: dockerLabels(labels),
      destroyDeletesData: settings.destroyDeletesData,
      aliases: [{ parent: pulumi.createUrn("backup", "crypto-scout:backup:BackupSidecar") }],
    })
  : undefined;
const monitorBackups = settings.monitoring.enabled && backupStorage !== undefined;
const backupFile = `${BACKUP_MOUNT}/last/${settings.database}-latest${DUMP_SUFFIX}`;

const generatedPassword = new random.RandomPassword("superuser-password", {
  length: 32,
  // URL- and shell-safe: the password goes into connection URLs and password files.
  special: false,
});

const server = new TimescaleServer("timescaledb", {
  image: settings.serverImage,
  networkName: settings.networkName,
  containerName: names.serverContainer,
  database: settings.database,
  superuser: settings.superuser,
  superuserPassword: generatedPassword.result,
  command: postgresCommand(tuning.settings),
  data: settings.data,
  bindAddress: settings.bindAddress,
  hostPort: settings.hostPort,
  memoryBytes: settings.memoryLimitBytes,
  cpus: settings.cpus,
  shmSizeBytes: settings.shmSizeBytes,
  nofileLimit: settings.nofileLimit,
  stopGracePeriodSeconds: settings.stopGracePeriodSeconds,
  waitForHealthy: settings.waitForHealthy,
  readyTimeoutSeconds: settings.readyTimeoutSeconds,
  readOnlyMounts: monitorBackups ? [{ source: backupStorage.source, containerPath: BACKUP_MOUNT }] : [],
  logRotation,
  engine: settings.containerEngine,
  destroyDeletesData: settings.destroyDeletesData,
  labels,
});

const backup = backupStorage
  ? new BackupSidecar(
      "backup",
      {
        image: settings.backupImage,
        containerName: names.backupContainer,
        networkName: server.networkName,
        serverHost: SERVER_ALIASES[0],
        database: server.database,
        user: server.superuser,
        password: server.superuserPassword,
        schedule: settings.backup.schedule,
        keep: { days: settings.backup.keepDays, weeks: settings.backup.keepWeeks, months: settings.backup.keepMonths },
        location: backupStorage,
        healthPort: settings.backup.healthPort,
        destroyDeletesData: settings.destroyDeletesData,
        logRotation,
        engine: settings.containerEngine,
        labels,
      },
      { dependsOn: [server] },
    )
  : undefined;

// The seed's init script as resources. Every connection waits until the server accepts the generated credentials.
const schemaStage = new DatabaseStage(
  "crypto-scout",
  {
    host: server.host,
    port: server.port,
    database: server.database,
    superuser: server.superuser,
    superuserPassword: server.superuserPassword,
    tables,
    destroyDropsTables: settings.destroyDeletesData,
    readyTimeoutSeconds: settings.readyTimeoutSeconds,
    // A replaced container (new image, new limits) is checked for readiness again before anything connects.
    serverRevision: server.container.id,
    monitoring: settings.monitoring.enabled ? { backupFile: monitorBackups ? backupFile : undefined } : undefined,
  },
  { dependsOn: [server] },
);

const metrics =
  settings.monitoring.enabled && schemaStage.monitoringRoleName && schemaStage.monitoringPassword
    ? new MetricsExporters(
        "metrics",
        {
          namePrefix: settings.namePrefix,
          networkName: server.networkName,
          serverHost: SERVER_ALIASES[0],
          database: settings.database,
          user: schemaStage.monitoringRoleName,
          password: schemaStage.monitoringPassword,
          bindAddress: settings.monitoring.bindAddress,
          ports: { postgresExporter: settings.monitoring.postgresExporterPort, sqlExporter: settings.monitoring.sqlExporterPort },
          backupFile: monitorBackups ? backupFile : undefined,
          databaseSizeBudgetBytes: settings.monitoring.databaseSizeBudgetBytes,
          logRotation,
          engine: settings.containerEngine,
          labels,
        },
        { dependsOn: [schemaStage] },
      )
    : undefined;

export const host = server.host;
export const port = server.port;
export const database = server.database;
export const superuser = server.superuser;
export const superuserPassword = server.superuserPassword;
export const connectionUrl = server.connectionUrl;
export const networkName = server.networkName;
export const containerName = server.containerName;
export const backupContainerName = backup?.container.name;
export const backupLocation = backup?.location;
export const writerRole = schemaStage.writerRole;
export const writerPassword = schemaStage.writerPassword;
export const readerRole = schemaStage.readerRole;
export const readerPassword = schemaStage.readerPassword;
export const writerConnectionUrl = schemaStage.writerConnectionUrl;
export const readerConnectionUrl = schemaStage.readerConnectionUrl;
export const monitoringRole = schemaStage.monitoringRole;
export const metricsEndpoints = metrics?.endpoints;
