/**
 * Backup freshness as SQL: a function that reports the age of the backup sidecar's newest complete dump, which the
 * TimescaleDB container sees through a read-only mount of the backup volume, so sql_exporter can export it with the
 * TimescaleDB metrics.
 *
 * Why this way: the sidecar's scheduler (go-cron) has no Prometheus metrics, only a JSON status kept in memory and
 * lost on restart, and it proves an exit code, not a file. The file is the thing to watch: backup.sh moves the
 * `last/<db>-latest<suffix>` symlink only after pg_dump succeeded (prodrigestivill/docker-postgres-backup-local
 * backup.sh, `set -Eeo pipefail`), and pg_stat_file follows symlinks (it calls stat(); PostgreSQL genfile.c), so its
 * modification time is the last successful dump. A missing or dangling link gives NULL (missing_ok).
 *
 * pg_stat_file on a path outside the data directory needs pg_read_server_files, and EXECUTE on it is revoked from
 * PUBLIC (PostgreSQL system_functions.sql). So the function is SECURITY DEFINER, owned by the superuser that creates
 * it, takes no path (the monitoring role cannot probe other files), pins its search_path, and only the monitoring role
 * may call it. Pure SQL text; applied by components/database/providers/monitoring-function.ts and tested on TimescaleDB.
 */
import { escapeIdentifier, escapeLiteral } from "pg";

export const BACKUP_AGE_FUNCTION = "backup_age_seconds";

/** The statements that (re)create the function and give only `role` the right to call it. Idempotent. */
export function backupAgeFunctionSql(schema: string, file: string, role: string): string[] {
  const fn = `${escapeIdentifier(schema)}.${escapeIdentifier(BACKUP_AGE_FUNCTION)}()`;
  return [
    `CREATE OR REPLACE FUNCTION ${fn} RETURNS double precision LANGUAGE sql STABLE SECURITY DEFINER ` +
      `SET search_path = pg_catalog, pg_temp AS ` +
      `$fn$ SELECT extract(epoch FROM now() - (pg_stat_file(${escapeLiteral(file)}, true)).modification)::double precision $fn$`,
    `REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA ${escapeIdentifier(schema)} TO ${escapeIdentifier(role)}`,
    `GRANT EXECUTE ON FUNCTION ${fn} TO ${escapeIdentifier(role)}`,
  ];
}

/** Removes the function (the schema's USAGE grant goes with the monitoring role). */
export function dropBackupAgeFunctionSql(schema: string): string[] {
  return [`DROP FUNCTION IF EXISTS ${escapeIdentifier(schema)}.${escapeIdentifier(BACKUP_AGE_FUNCTION)}()`];
}
