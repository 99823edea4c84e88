/**
 * The point-in-time archive's freshness as SQL: a function that reads the status files the PITR sidecar writes
 * (components/backup/pitr.ts PITR_STATUS), which the TimescaleDB container sees through a read-only mount of the
 * archive, so sql_exporter exports them with the slot metrics (pitrMetrics).
 *
 * Why files: the server keeps no trace of a finished base backup without archive_mode (its backup history file is
 * removed at once, PostgreSQL xlog.c CleanupBackupHistory) and cannot see what the receiver wrote. The sidecar's
 * script touches `status/base-backup-verified` only after pg_verifybackup passed, keeps
 * `status/verification-failed` while the last verification failed, and copies the newest archived WAL file's mtime
 * to `status/newest-wal` at every check (pitr.ts pitrScript `backup` and `status`).
 *
 * Same access rules as the backup-age function (backup-age.ts): pg_stat_file outside the data directory needs
 * pg_read_server_files and EXECUTE on it is revoked from PUBLIC (PostgreSQL system_functions.sql), so the function is
 * SECURITY DEFINER, owned by the superuser that creates it, takes no path, pins its search_path, and only the
 * monitoring role may call it. A missing file gives NULL (missing_ok): no age before the first backup or WAL file.
 * Pure SQL text; applied by components/database/providers/monitoring-function.ts and tested on PostgreSQL 17 (test/monitoring.test.ts).
 */
import { escapeIdentifier, escapeLiteral } from "pg";
import { PITR_STATUS } from "../backup/pitr";

export const PITR_STATUS_FUNCTION = "pitr_archive_status";

/**
 * The statements that (re)create `<schema>.pitr_archive_status()` for the archive at `dir` (as the server sees it)
 * and give only `role` the right to call it. One row: base_backup_age_seconds, wal_age_seconds (NULL while the file
 * does not exist) and verification_failed (1 or 0). Idempotent.
 */
export function pitrStatusFunctionSql(schema: string, dir: string, role: string): string[] {
  const fn = `${escapeIdentifier(schema)}.${escapeIdentifier(PITR_STATUS_FUNCTION)}()`;
  const file = (relative: string) => escapeLiteral(`${dir.replace(/\/+$/, "")}/${relative}`);
  const age = (relative: string) => `extract(epoch FROM now() - (pg_stat_file(${file(relative)}, true)).modification)::double precision`;
  return [
    // The column list is part of the function's type: a changed one needs a DROP first (CREATE OR REPLACE refuses).
    `CREATE OR REPLACE FUNCTION ${fn} ` +
      `RETURNS TABLE (base_backup_age_seconds double precision, wal_age_seconds double precision, verification_failed double precision) ` +
      `LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS ` +
      `$fn$ SELECT ${age(PITR_STATUS.verified)}, ${age(PITR_STATUS.newestWal)}, ` +
      `((pg_stat_file(${file(PITR_STATUS.verificationFailed)}, true)).size IS NOT NULL)::int::double precision $fn$`,
    `REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA ${escapeIdentifier(schema)} TO ${escapeIdentifier(role)}`,
    `GRANT EXECUTE ON FUNCTION ${fn} TO ${escapeIdentifier(role)}`,
  ];
}

/** Removes the function (the schema's USAGE grant goes with the monitoring role). */
export function dropPitrStatusFunctionSql(schema: string): string[] {
  return [`DROP FUNCTION IF EXISTS ${escapeIdentifier(schema)}.${escapeIdentifier(PITR_STATUS_FUNCTION)}()`];
}

/**
 * The status function's values as sql_exporter metrics of the stack's collector (sql-exporter.ts stackCollector),
 * and the configured base backup interval, so the stale-base-backup alert compares against the stack's own config.
 * A NULL is not exported (sql_exporter skips it): no age series before the first verified backup or WAL file.
 */
export function pitrStatusMetrics(schema: string, baseBackupIntervalSeconds: number): object[] {
  if (!Number.isInteger(baseBackupIntervalSeconds) || baseBackupIntervalSeconds < 1) {
    throw new Error(`pitrStatusMetrics: baseBackupIntervalSeconds is ${baseBackupIntervalSeconds}; expected a whole number of seconds`);
  }
  const from = `FROM ${escapeIdentifier(schema)}.${escapeIdentifier(PITR_STATUS_FUNCTION)}()`;
  return [
    {
      metric_name: "crypto_scout_pitr_base_backup_age_seconds",
      type: "gauge",
      help: "Seconds since the newest PITR base backup passed pg_verifybackup (absent before the first).",
      values: ["age"],
      query: `SELECT base_backup_age_seconds AS age ${from}`,
    },
    {
      metric_name: "crypto_scout_pitr_base_backup_interval_seconds",
      type: "gauge",
      help: "Seconds between the PITR sidecar's base backups (config pitrBaseBackupInterval); the stale-base-backup alert compares with it.",
      values: ["interval"],
      query: `SELECT ${baseBackupIntervalSeconds}::float8 AS interval`,
    },
    {
      metric_name: "crypto_scout_pitr_base_backup_verification_failed",
      type: "gauge",
      help: "1 while the last PITR base backup failed pg_verifybackup (it is kept as base/.failed, never restored from), else 0.",
      values: ["failed"],
      query: `SELECT verification_failed AS failed ${from}`,
    },
    {
      metric_name: "crypto_scout_pitr_wal_age_seconds",
      type: "gauge",
      help: "Seconds since the newest file in the PITR archive's wal/ was written, as the sidecar's last status check saw it (absent before the first).",
      values: ["age"],
      query: `SELECT wal_age_seconds AS age ${from}`,
    },
  ];
}
