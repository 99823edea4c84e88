/**
 * Host directories for the data and the backups (`dataHostPath`, `backupHostPath`). Pure: no I/O (the directory is on
 * the Docker host, which may not be this machine).
 *
 * Why a system directory is refused: the server image's entrypoint re-owns the data directory recursively, as root,
 * to the postgres user (docker-library/postgres docker-entrypoint.sh docker_create_db_directories:
 * `find "$PGDATA" \! -user postgres -exec chown postgres '{}' +`), so `dataHostPath: /etc` hands the host's /etc to
 * uid 70; initdb then refuses a directory that is not empty, and the server never starts. The backup sidecar creates
 * last/, daily/, weekly/ and monthly/ in its directory and deletes dumps older than the keep settings there
 * (prodrigestivill/docker-postgres-backup-local backup.sh). Neither belongs in a directory other software owns.
 */
import * as path from "node:path";

/**
 * Trees no deployment directory may be in: the operating system's (re-owning any of it breaks the host), virtual file
 * systems, the container engines' own storage, and directories emptied at boot (data there is lost on restart).
 */
const SYSTEM_TREES = [
  "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys", "/usr",
  "/tmp", "/var/tmp", "/var/run", "/var/lock", "/var/lib/docker", "/var/lib/containers",
  // macOS (Docker Desktop, Podman machine) system trees.
  "/System", "/Library", "/private", "/Applications",
];

/**
 * Directories that hold other things: fine to put the deployment's directory under, never to be it (the recursive
 * re-own would take everything else in them). A home directory itself (`/home/<user>`, `/Users/<user>`) is one too.
 */
const SHARED_DIRECTORIES = [
  "/home", "/root", "/srv", "/opt", "/mnt", "/media", "/var", "/var/lib", "/var/log", "/var/cache", "/var/spool",
  "/var/mail", "/var/opt", "/var/local", "/var/backups", "/Users", "/Volumes",
];

const within = (p: string, tree: string) => p === tree || p.startsWith(`${tree}/`);

/** `raw` without trailing slashes ("/srv/pg/" is "/srv/pg"; "/" stays "/"). */
export function trimTrailingSlashes(raw: string): string {
  return raw.length > 1 ? raw.replace(/\/+$/, "") || "/" : raw;
}

/** What a host directory is for, for messages. */
export interface HostPathUse {
  /** e.g. "the data". */
  readonly what: string;
  /** e.g. "/srv/crypto-scout/data". */
  readonly example: string;
  /** What the deployment does to the directory, e.g. "the server's entrypoint re-owns it recursively". */
  readonly effect: string;
}

/** Why `p` (trailing slashes already trimmed) cannot be the directory, as the `expected ...` of a message; undefined when it can. */
export function hostPathProblem(p: string, use: HostPathUse): string | undefined {
  const own = `a directory of its own for ${use.what}, such as ${use.example}`;
  const normal = path.posix.normalize(p);
  if (normal !== p) return `a path in normal form, such as ${JSON.stringify(trimTrailingSlashes(normal))}: "." and ".." segments and doubled slashes are refused, so that two spellings cannot name one directory`;
  if (p === "/") return `${own}, not the root of the host's file system (${use.effect})`;
  const tree = SYSTEM_TREES.find((t) => within(p, t));
  if (tree) {
    const boot = ["/tmp", "/var/tmp", "/run", "/var/run", "/var/lock"].includes(tree);
    return `${own}, outside ${tree} (${boot ? "emptied at boot" : `the host's own files; ${use.effect}`})`;
  }
  const shared = SHARED_DIRECTORIES.find((d) => p === d) ?? (/^\/(home|Users)\/[^/]+$/.test(p) ? p : undefined);
  if (shared) return `${own}: a new directory under ${shared}, not ${shared} itself, which holds other files (${use.effect})`;
  return undefined;
}

/** Whether `a` and `b` (both normal) are the same directory or one is inside the other. */
export function nested(a: string, b: string): boolean {
  return within(a, b) || within(b, a);
}
