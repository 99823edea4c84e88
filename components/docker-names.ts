/**
 * Docker object names derived from a stack's prefix. One function, so the server, the backup sidecar, the restore
 * script's defaults and the README agree.
 */
export function dockerNames(prefix: string) {
  return {
    network: prefix,
    serverContainer: `${prefix}-timescaledb`,
    backupContainer: `${prefix}-backup`,
    dataVolume: `${prefix}-data`,
    backupVolume: `${prefix}-backups`,
  } as const;
}

/** Where the generated superuser password is uploaded inside both containers (read through `*_FILE` variables). */
export const PASSWORD_FILE = "/run/secrets/postgres-password";
/** The server's aliases on the stack's network. `postgres` keeps the seed's `POSTGRES_HOST=postgres` working. */
export const SERVER_ALIASES = ["timescaledb", "postgres"] as const;
