/**
 * The stack outputs index.ts exports, as the reference documents them: docs/reference/outputs.md is generated from
 * this list (scripts/generate-reference.ts), and test/reference-docs.test.ts runs the program under mocks and fails
 * when an export is missing here, listed but not exported, or its secrecy differs.
 */
export interface StackOutputDoc {
  readonly name: string;
  /** Kept secret in state and in `pulumi stack output` (shown with --show-secrets). */
  readonly secret: boolean;
  /** Which stacks have it: the local container, an external server by URL, or both. */
  readonly modes: "both" | "local";
  readonly description: string;
}

export const STACK_OUTPUTS: readonly StackOutputDoc[] = [
  { name: "host", secret: false, modes: "both", description: "The address the server is reached at from the machine running Pulumi (the bind address, or 127.0.0.1 when bound to every interface; the URL's host for an external server)." },
  { name: "port", secret: false, modes: "both", description: "The published port (the URL's port for an external server)." },
  { name: "database", secret: false, modes: "both", description: "The database holding the schema, `crypto_scout` locally." },
  { name: "superuser", secret: false, modes: "both", description: "The role the stack manages the database as: the superuser locally, the URL's owner role for an external server." },
  { name: "superuserPassword", secret: true, modes: "both", description: "That role's password." },
  { name: "connectionUrl", secret: true, modes: "both", description: "`postgresql://` URL of that role; for administration, not for the collector." },
  { name: "networkName", secret: false, modes: "local", description: "The stack's Docker network; a collector container joins it and reaches the server as `timescaledb:5432`." },
  { name: "containerName", secret: false, modes: "local", description: "The server container." },
  { name: "backupContainerName", secret: false, modes: "local", description: "The backup sidecar container (absent with backupEnabled false)." },
  { name: "backupLocation", secret: false, modes: "local", description: "Where the dumps are: the backup volume's name or backupHostPath." },
  { name: "pitrContainerName", secret: false, modes: "local", description: "The point-in-time-recovery sidecar container (absent with pitrEnabled false)." },
  { name: "pitrLocation", secret: false, modes: "local", description: "Where the WAL archive and base backups are: the archive volume's name or pitrHostPath." },
  { name: "writerRole", secret: false, modes: "both", description: "The collector's role: INSERT and SELECT on the tables, USAGE on their sequences." },
  { name: "writerPassword", secret: true, modes: "both", description: "The writer's generated password." },
  { name: "writerConnectionUrl", secret: true, modes: "both", description: "The collector's URL from the Docker host (with the TLS parameters for an external server)." },
  { name: "readerRole", secret: false, modes: "both", description: "The analysts' role: SELECT on the tables and candles." },
  { name: "readerPassword", secret: true, modes: "both", description: "The reader's generated password." },
  { name: "readerConnectionUrl", secret: true, modes: "both", description: "The reader's URL from the Docker host." },
  { name: "monitoringRole", secret: false, modes: "local", description: "The exporters' role (pg_monitor, nothing on the tables); absent with monitoringEnabled false." },
  { name: "metricsEndpoints", secret: false, modes: "local", description: "`{ postgresExporter, sqlExporter }`: the exporters' /metrics URLs for Prometheus." },
];
