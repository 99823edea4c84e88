/**
 * sql_exporter's files, as text: the main config (holds the DSN with the monitoring role's password, so it is uploaded
 * as a secret file, never an environment value: sql_exporter has no password-file option, burningalchemist/sql_exporter
 * config/secret_resolver.go) and this stack's own collector (backup age and the schedule's longest interval, the
 * database size budget, the point-in-time archive). The TimescaleDB collector is the static file
 * monitoring/timescaledb-collector.yml. Format: sql_exporter 0.24 config/config.go, collector_config.go,
 * metric_config.go. Pure functions: tested without Pulumi.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { databaseUrl } from "../database/url";
import { COLLECTOR_FILE, parseCollector } from "../database/monitoring";
import { PITR_DEFAULTS, pitrMetrics } from "../backup/pitr";
import { pitrStatusMetrics } from "./pitr-status";
import { scheduleMaxIntervalSeconds } from "../backup/schedule";

/** Where the sidecar's files go inside its container; collector_files resolve relative to the config's directory. */
export const SQL_EXPORTER_DIR = "/etc/sql_exporter";
export const SQL_EXPORTER_CONFIG = `${SQL_EXPORTER_DIR}/sql_exporter.yml`;

/** The backup sidecar's newest complete dump, as the TimescaleDB container sees the backup volume (read-only). */
export const BACKUP_MOUNT = "/backups";

export interface SqlExporterTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/**
 * sql_exporter.yml. The DSN's user and password are percent-encoded (databaseUrl), which also keeps a `$` in a
 * password from being expanded as an environment variable (sql_exporter runs the DSN through os.Expand, sql.go).
 * `target.name` stays unset, so the exporter publishes no `up` series of its own and answers 500 when the database
 * is unreachable (Prometheus's `up` then says so).
 */
export function sqlExporterConfig(target: SqlExporterTarget): string {
  const dsn = `${databaseUrl(target)}?sslmode=disable`;
  return yaml.dump(
    {
      global: { scrape_timeout_offset: "500ms", min_interval: "0s", max_connections: 2, max_idle_connections: 1 },
      target: { data_source_name: dsn, collectors: ["timescaledb", "crypto_scout"] },
      collector_files: ["*.collector.yml"],
    },
    { lineWidth: -1 },
  );
}

/**
 * The stack's collector: backup freshness (when the stack runs backups) with the longest wait `backupSchedule` allows
 * between two dumps, the database size budget, and with `pitrSlot` the point-in-time archive's slot, receiver and
 * status-file metrics.
 */
export function stackCollector(opts: {
  readonly backupFile?: string;
  /** The backup sidecar's schedule (config backupSchedule). @default "@daily" */
  readonly backupSchedule?: string;
  readonly databaseSizeBudgetBytes: number;
  readonly schema: string;
  readonly pitrSlot?: string;
  readonly pitrBaseBackupIntervalSeconds?: number;
}): string {
  const metrics: object[] = [
    {
      metric_name: "crypto_scout_database_size_budget_bytes",
      type: "gauge",
      help: "The database size this stack budgets for (config databaseSizeBudget); the disk alert compares pg_database_size_bytes with it.",
      values: ["budget"],
      query: `SELECT ${Math.round(opts.databaseSizeBudgetBytes)}::float8 AS budget`,
    },
  ];
  if (opts.backupFile !== undefined) {
    const schedule = opts.backupSchedule ?? "@daily";
    const maxAge = scheduleMaxIntervalSeconds(schedule);
    if (maxAge === undefined) throw new Error(`stackCollector: backupSchedule ${JSON.stringify(schedule)} is not a schedule the backup sidecar runs`);
    metrics.push(
      {
        metric_name: "crypto_scout_backup_max_age_seconds",
        type: "gauge",
        help: "The longest time between two scheduled dumps (config backupSchedule); the backup-age alert compares crypto_scout_backup_age_seconds with it.",
        values: ["max_age"],
        query: `SELECT ${maxAge}::float8 AS max_age`,
      },
      {
        metric_name: "crypto_scout_backup_age_seconds",
        type: "gauge",
        help: "Seconds since the backup sidecar's newest complete dump was written (absent when there is none).",
        values: ["age"],
        query: `SELECT ${opts.schema}.backup_age_seconds() AS age`,
      },
      {
        metric_name: "crypto_scout_backup_present",
        type: "gauge",
        help: "1 when the backup sidecar's newest dump exists, else 0.",
        values: ["present"],
        query: `SELECT (${opts.schema}.backup_age_seconds() IS NOT NULL)::int AS present`,
      },
    );
  }
  // The point-in-time archive's slot and receiver (components/backup/pitr.ts pitrMetrics), and what only its status
  // files know: base backups, verification, the newest archived WAL (pitr-status.ts).
  if (opts.pitrSlot !== undefined) {
    metrics.push(...pitrMetrics(opts.pitrSlot), ...pitrStatusMetrics(opts.schema, opts.pitrBaseBackupIntervalSeconds ?? PITR_DEFAULTS.baseBackupIntervalSeconds));
  }
  return yaml.dump({ collector_name: "crypto_scout", metrics }, { lineWidth: -1 });
}

/** The TimescaleDB collector's text, checked as sql_exporter reads it (a bad file fails preview, not the exporter). */
export function timescaledbCollector(): string {
  const text = fs.readFileSync(COLLECTOR_FILE, "utf8");
  parseCollector(text, COLLECTOR_FILE);
  return text;
}
