/**
 * crypto-scout-db: one stack = one TimescaleDB server, its backup sidecar, and the crypto_scout schema with its roles
 * and TimescaleDB policies. Read top to bottom, this file is the seed's compose file and init script:
 *
 *   settings (Pulumi.yaml + Pulumi.<stack>.yaml)  ->  tuning (postgres -c ...)
 *   generated secrets  ->  TimescaleServer (network, volume, container)  ->  BackupSidecar
 *                                           \->  DatabaseStage (provider, extension, schema, roles, grants,
 *                                                               hypertables, compression/reorder/retention policies,
 *                                                               monitoring role)  ->  MetricsExporters
 *
 * With `databaseUrl` set (external mode, docs/external-server.md) only the DatabaseStage exists: it manages that
 * server as its owner (not a superuser), over TLS; no Docker resource is created.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { isInputError, loadStackDefinition } from "./components/config/stack";
import { pulumiConfigSource } from "./components/config/pulumi-source";
import { otherStacks } from "./components/config/stack-clash";
import { dockerLabels, dockerNames, persistentStorage, SERVER_ALIASES } from "./components/docker-common";
import { postgresCommand } from "./components/tuning";
import { TimescaleServer } from "./components/server/timescaledb-server";
import { ServerVersionGuard } from "./components/server/version-guard";
import { BackupSidecar, DUMP_SUFFIX } from "./components/backup/backup-sidecar";
import { PitrSidecar } from "./components/backup/pitr-sidecar";
import { ReplicationRole } from "./components/backup/replication-role";
import { pgHbaConf, PITR_DIR, PITR_HBA_FILE, PITR_SLOT, REPLICATION_ROLE, withPitrServerSettings } from "./components/backup/pitr";
import { MetricsExporters } from "./components/monitoring/metrics-exporters";
import { BACKUP_MOUNT } from "./components/monitoring/sql-exporter";
import { DatabaseStage } from "./components/database/database-stage";
import { databaseUrl } from "./components/database/url";
import { SCRAM_SALT_BYTES } from "./components/database/scram";

// Everything that can be wrong with the stack's config fails here, before any resource is registered, as one line
// (RunError: Pulumi prints the message without a stack trace).
// The other stacks' files beside Pulumi.yaml are read too: a stack never takes another's Docker names or ports.
const { settings, tuning, tables, uncheckedStacks } = (() => {
  try {
    return loadStackDefinition(pulumiConfigSource(), { others: otherStacks(pulumi.getStack()), dockerHost: new pulumi.Config("docker").get("host") });
  } catch (e) {
    throw isInputError(e) ? new pulumi.RunError(e.message) : e;
  }
})();
for (const other of uncheckedStacks) {
  pulumi.log.warn(`Stack ${other.stack} (${other.file}) could not be read, so this stack's Docker names and ports were not compared with its: ${other.error}`);
}
// The tuning is the container's: an external server's settings are its service's.
if (!settings.external) for (const warning of tuning.warnings) pulumi.log.warn(warning);

/** The local container, its backups and exporters, and the database stage on it: the seed's compose file. */
function localServer() {
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
  // The point-in-time archive (docs/pitr.md), kept like the dumps; the server sees it read-only, for the restore's
  // restore_command (scripts/restore-pitr.sh --replace) and the archive metrics.
  const pitrStorage = settings.pitr.enabled
    ? persistentStorage("pitr-volume", settings.pitr.location, { labels: dockerLabels(labels), destroyDeletesData: settings.destroyDeletesData })
    : undefined;

  const generatedPassword = new random.RandomPassword("superuser-password", {
    length: 32,
    // URL- and shell-safe: the password goes into connection URLs and password files.
    special: false,
  });
  // The salt of its SCRAM-SHA-256 verifier, which the server container's entrypoint sets on an existing cluster, so a
  // data volume kept through `pulumi destroy` takes the password generated now. Kept in state: the same verifier on
  // every up, so an unchanged stack converges.
  const superuserSalt = new random.RandomBytes("superuser-password-salt", { length: SCRAM_SALT_BYTES });

  // Refuses at preview a PostgreSQL major change or a TimescaleDB downgrade on the existing data directory, before the
  // image is pulled or the container replaced (both wait for it): the new server would restart in a loop.
  const versionGuard = new ServerVersionGuard("server-version", {
    postgresMajor: settings.postgresMajor,
    timescaledbVersion: settings.timescaledbVersion,
    dataLocation: settings.data.kind === "volume" ? `volume:${settings.data.name}` : `hostPath:${settings.data.path}`,
  });
  const afterGuard = (_args: unknown, opts: pulumi.CustomResourceOptions) => {
    opts.dependsOn = [...((opts.dependsOn as pulumi.Resource[] | undefined) ?? []), versionGuard];
  };

  const server = new TimescaleServer("timescaledb", {
    transform: { image: afterGuard, container: afterGuard },
    image: settings.serverImage,
    networkName: settings.networkName,
    containerName: names.serverContainer,
    database: settings.database,
    superuser: settings.superuser,
    superuserPassword: generatedPassword.result,
    superuserPasswordSalt: superuserSalt.base64,
    command: pitrStorage ? withPitrServerSettings(postgresCommand(tuning.settings), settings.pitr.slotWalKeepMiB) : postgresCommand(tuning.settings),
    // The replication role's pg_hba rule, also on a data directory that already exists (the adopted server).
    configFiles: pitrStorage ? [{ file: PITR_HBA_FILE, content: pgHbaConf(REPLICATION_ROLE) }] : [],
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
    readOnlyMounts: [
      ...(monitorBackups ? [{ source: backupStorage.source, containerPath: BACKUP_MOUNT }] : []),
      ...(pitrStorage ? [{ source: pitrStorage.source, containerPath: PITR_DIR }] : []),
    ],
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
      monitoring: settings.monitoring.enabled ? { backupFile: monitorBackups ? backupFile : undefined, pitrDir: pitrStorage ? PITR_DIR : undefined } : undefined,
    },
    { dependsOn: [server] },
  );

  // WAL streamed off the server and verified base backups, as a role that may replicate and nothing else.
  const replication = pitrStorage ? new ReplicationRole("pitr-replication", { provider: schemaStage.provider }, { dependsOn: [schemaStage.readiness] }) : undefined;
  const pitr =
    pitrStorage && replication
      ? new PitrSidecar(
          "pitr",
          {
            image: settings.pitr.image,
            containerName: names.pitrContainer,
            networkName: server.networkName,
            serverHost: SERVER_ALIASES[0],
            user: REPLICATION_ROLE,
            password: replication.password,
            location: pitrStorage,
            keepBaseBackups: settings.pitr.keepBaseBackups,
            baseBackupIntervalSeconds: settings.pitr.baseBackupIntervalSeconds,
            destroyDeletesData: settings.destroyDeletesData,
            logRotation,
            engine: settings.containerEngine,
            labels,
          },
          { dependsOn: [server, replication] },
        )
      : undefined;

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
            backupSchedule: settings.backup.schedule,
            pitrSlot: pitr ? PITR_SLOT : undefined,
            pitrBaseBackupIntervalSeconds: settings.pitr.baseBackupIntervalSeconds,
            databaseSizeBudgetBytes: settings.monitoring.databaseSizeBudgetBytes,
            logRotation,
            engine: settings.containerEngine,
            labels,
          },
          { dependsOn: [schemaStage] },
        )
      : undefined;

  return {
    host: server.host,
    port: server.port,
    database: server.database,
    superuser: server.superuser,
    superuserPassword: server.superuserPassword,
    connectionUrl: server.connectionUrl,
    networkName: server.networkName,
    containerName: server.containerName,
    backupContainerName: backup?.container.name,
    backupLocation: backup?.location,
    pitrContainerName: pitr?.container.name,
    pitrLocation: pitr?.location,
    schemaStage,
    metricsEndpoints: metrics?.endpoints,
  };
}

/** A server reached by URL (Tiger Cloud, a platform team's PostgreSQL): only the database stage, as its owner. */
function externalServer(external: NonNullable<typeof settings.external>) {
  const c = external.connection;
  // The program always sees the decrypted value; only the file-reading tools do not.
  if (!c) throw new pulumi.RunError("databaseUrl could not be read (is the stack's secrets provider available?)");
  const password = pulumi.secret(c.password);
  const schemaStage = new DatabaseStage("crypto-scout", {
    host: c.host,
    port: c.port,
    database: c.database,
    superuser: c.user,
    superuserPassword: password,
    connectsAs: "owner",
    tls: c.tls,
    tables,
    destroyDropsTables: settings.destroyDeletesData,
    readyTimeoutSeconds: settings.readyTimeoutSeconds,
  });
  return {
    host: pulumi.output(c.host),
    port: pulumi.output(c.port),
    database: pulumi.output(c.database),
    superuser: pulumi.output(c.user),
    superuserPassword: password,
    connectionUrl: pulumi.secret(databaseUrl(c)),
    networkName: undefined,
    containerName: undefined,
    backupContainerName: undefined,
    backupLocation: undefined,
    pitrContainerName: undefined,
    pitrLocation: undefined,
    schemaStage,
    metricsEndpoints: undefined,
  };
}

const deployed = settings.external ? externalServer(settings.external) : localServer();
const schemaStage = deployed.schemaStage;

/** The server's address and the role the stage connects as (the superuser locally, the URL's user for an external server). */
export const host = deployed.host;
export const port = deployed.port;
export const database = deployed.database;
export const superuser = deployed.superuser;
export const superuserPassword = deployed.superuserPassword;
export const connectionUrl = deployed.connectionUrl;
export const networkName = deployed.networkName;
export const containerName = deployed.containerName;
export const backupContainerName = deployed.backupContainerName;
export const backupLocation = deployed.backupLocation;
/** The PITR sidecar and its archive (volume name or host directory); scripts/restore-pitr.sh reads from it. */
export const pitrContainerName = deployed.pitrContainerName;
export const pitrLocation = deployed.pitrLocation;
export const writerRole = schemaStage.writerRole;
export const writerPassword = schemaStage.writerPassword;
export const readerRole = schemaStage.readerRole;
export const readerPassword = schemaStage.readerPassword;
export const writerConnectionUrl = schemaStage.writerConnectionUrl;
export const readerConnectionUrl = schemaStage.readerConnectionUrl;
export const monitoringRole = schemaStage.monitoringRole;
export const metricsEndpoints = deployed.metricsEndpoints;
