#!/usr/bin/env bash
# Restore a crypto-scout-db backup into the TimescaleDB container, the way TimescaleDB documents it.
#
# The backup sidecar (prodrigestivill/postgres-backup-local) writes whole-database custom-format dumps
# (POSTGRES_EXTRA_OPTS=-Fc -Z6, BACKUP_SUFFIX=.dump) to /backups/{last,daily,weekly,monthly}/crypto_scout-*.dump.
# This script runs on the Docker host: it copies one such dump into the server container and, inside it (as the OS
# user postgres, connected as the superuser crypto_scout_db with the password read from the container's secret file,
# never from this host's command line), runs:
#
#   pg_restore --list                                check the archive; refuse dumps without TimescaleDB's catalog
#   CREATE DATABASE <target> TEMPLATE template0      (template1 of the timescale image already has the extension)
#   CREATE EXTENSION timescaledb VERSION '<dumped>'  the version recorded in the dump's _timescaledb_catalog.metadata
#   SELECT timescaledb_pre_restore();
#   pg_restore -Fc -d <target> <dump>                one job: no -j
#   SELECT timescaledb_post_restore();
#   ANALYZE;
#
# then prints the row count of every hypertable, beside the live database's when restoring into the side database.
#
# Sources (TimescaleDB docs, github.com/timescale/docs):
#   self-hosted/backup-and-restore/logical-backup.md, "Back up and restore an entire database": CREATE DATABASE,
#     CREATE EXTENSION IF NOT EXISTS timescaledb, SELECT timescaledb_pre_restore(), pg_restore -Fc -d, SELECT
#     timescaledb_post_restore(); "Do not use pg_restore with the -j option. This option does not correctly restore
#     the TimescaleDB catalogs." Same page: dumps filtered by table or schema "lack necessary information that
#     TimescaleDB requires" (why the seed's --schema=crypto_scout backups cannot restore hypertables).
#   _troubleshooting/self-hosted/pg_dump-version-mismatch.md: restore into "the same extension version as the
#     original database", upgrade TimescaleDB afterwards.
#   API reference, administration/timescaledb_pre_restore: sets timescaledb.restoring to on and stops the database's background
#     workers until timescaledb_post_restore() runs.
#   TimescaleDB source, sql/metadata.sql: every install and upgrade writes ('timescaledb_version', <version>) into
#     _timescaledb_catalog.metadata, a table pg_dump includes "to detect catalog mismatches in dump/restore cycle";
#     that row is how this script learns the version a dump was taken with (pg_restore --list shows the extension
#     but not its version).
#
# Usage: scripts/restore-backup.sh [options] DUMP_FILE     (scripts/restore-backup.sh --help)
set -euo pipefail

readonly DEFAULT_CONTAINER="crypto-scout-timescaledb"
# Kept in step with components/config/settings.ts (database, superuser) and components/docker-common.ts (PASSWORD_FILE).
readonly LIVE_DB="crypto_scout"
readonly SIDE_DB="crypto_scout_restore"
readonly DB_USER="crypto_scout_db"
readonly PASSWORD_FILE="/run/secrets/postgres-password"
# Marks databases this script created, so that a later run may drop and recreate them without asking.
readonly SIDE_DB_MARK="restore-backup.sh side database"

usage() {
  cat <<EOF
Usage: scripts/restore-backup.sh [options] DUMP_FILE

Restore a backup made by the backup sidecar (a whole-database pg_dump -Fc file, crypto_scout-*.dump) into the
TimescaleDB container, following TimescaleDB's documented restore procedure, and print every hypertable's row count.

By default it restores into the side database ${SIDE_DB}, leaving the live database ${LIVE_DB} untouched: use that to
verify a backup. A side database made by an earlier run is dropped and recreated. Its TimescaleDB policies are paused
(alter_job ... scheduled => false) so that the copy does not compress or drop chunks next to the live database.

Options:
  --container NAME      TimescaleDB container (default: ${DEFAULT_CONTAINER}; dev stack: crypto-scout-dev-timescaledb)
  --target-db NAME      side database to restore into (default: ${SIDE_DB}; not ${LIVE_DB})
  --replace             restore over the live database ${LIVE_DB}: terminates its sessions, drops it, recreates it
                        (same owner, encoding, locale, grants and settings) and restores into it. Stop the writers
                        first. Asks you to type the database name, unless --yes.
  --yes                 do not ask for confirmation (for --replace without a terminal)
  --timescaledb-version VERSION
                        TimescaleDB version the dump was taken with; only needed for a dump that does not record it
  --no-owner            restore without ownership and grants (pg_restore --no-owner --no-privileges), for a server
                        that lacks the dumped roles; everything is then owned by ${DB_USER}
  --keep-going          do not stop at pg_restore's first error: restore what can be restored, finish the TimescaleDB
                        steps, print the counts, then exit non-zero (for a disaster, when a partial restore beats none)
  -h, --help            show this help

Environment:
  DOCKER                container CLI (default: docker), e.g. DOCKER=podman or DOCKER="sudo docker"

Getting a dump out of the backup container (named volume) onto the host, following the -latest symlink:
  docker cp -L crypto-scout-backup:/backups/last/${LIVE_DB}-latest.dump .
EOF
}

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'restore-backup: warning: %s\n' "$*" >&2; }
die() {
  printf 'restore-backup: error: %s\n' "$*" >&2
  exit 1
}

read -r -a DOCKER_CMD <<<"${DOCKER:-docker}"
[[ ${#DOCKER_CMD[@]} -gt 0 ]] || die "DOCKER is set but empty"

container="$DEFAULT_CONTAINER"
target_db=""
replace=false
assume_yes=false
wanted_version=""
no_owner=false
keep_going=false
dump_file=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --container)
      [[ $# -ge 2 && -n "$2" ]] || die "--container needs a container name"
      container="$2"
      shift 2
      ;;
    --container=*) container="${1#*=}"; shift ;;
    --target-db)
      [[ $# -ge 2 && -n "$2" ]] || die "--target-db needs a database name"
      target_db="$2"
      shift 2
      ;;
    --target-db=*) target_db="${1#*=}"; shift ;;
    --replace) replace=true; shift ;;
    --yes) assume_yes=true; shift ;;
    --timescaledb-version)
      [[ $# -ge 2 && -n "$2" ]] || die "--timescaledb-version needs a version, e.g. 2.29.2"
      wanted_version="$2"
      shift 2
      ;;
    --timescaledb-version=*) wanted_version="${1#*=}"; shift ;;
    --no-owner) no_owner=true; shift ;;
    --keep-going) keep_going=true; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *)
      [[ -z "$dump_file" ]] || die "only one DUMP_FILE, got '$dump_file' and '$1'"
      dump_file="$1"
      shift
      ;;
  esac
done
if [[ $# -gt 0 ]]; then
  [[ -z "$dump_file" && $# -eq 1 ]] || die "only one DUMP_FILE"
  dump_file="$1"
fi
[[ -n "$dump_file" ]] || { usage >&2; die "missing DUMP_FILE"; }

# ---- Checks that touch nothing -------------------------------------------------------------------------------------

valid_db_name() { [[ "$1" =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; }
valid_version() { [[ "$1" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; }

if $replace; then
  [[ -z "$target_db" || "$target_db" == "$LIVE_DB" ]] ||
    die "--replace restores over ${LIVE_DB}; it cannot be combined with --target-db $target_db"
  target_db="$LIVE_DB"
else
  target_db="${target_db:-$SIDE_DB}"
  [[ "$target_db" != "$LIVE_DB" ]] || die "${LIVE_DB} is the live database: use --replace to restore over it"
fi
valid_db_name "$target_db" || die "target database name '$target_db' must match [a-z_][a-z0-9_]* (at most 63 characters)"
case "$target_db" in
  postgres | template0 | template1) die "refusing to restore into the system database $target_db" ;;
esac
[[ -z "$wanted_version" ]] || valid_version "$wanted_version" ||
  die "--timescaledb-version '$wanted_version' is not a version like 2.29.2"

[[ -e "$dump_file" ]] || die "no such file: $dump_file"
# A dump_file that is a symlink (crypto_scout-latest.dump) is copied as the file it points to.
if [[ -L "$dump_file" ]]; then
  resolved="$(readlink -f -- "$dump_file")" || die "cannot resolve the symlink $dump_file"
  dump_file="$resolved"
fi
[[ -f "$dump_file" ]] || die "not a regular file: $dump_file (directory-format dumps are not supported)"
[[ -r "$dump_file" ]] || die "cannot read $dump_file (backup files belong to the backup container's user; try sudo)"
[[ -s "$dump_file" ]] || die "$dump_file is empty"
magic="$(head -c 5 -- "$dump_file" | tr -d '\0')"
if [[ "$magic" != "PGDMP" ]]; then
  if [[ "$(head -c 2 -- "$dump_file" | od -An -tx1 | tr -d ' \n')" == "1f8b" ]]; then
    die "$dump_file is gzip data, not a custom-format dump. The earlier podman-compose deployment's sidecar wrote such files (plain SQL .sql.gz," \
      "--schema=crypto_scout): they hold no hypertable rows and cannot be restored; this script restores *.dump files"
  fi
  die "$dump_file is not a pg_dump custom-format archive (it does not start with PGDMP)"
fi

command -v "${DOCKER_CMD[0]}" >/dev/null 2>&1 || die "'${DOCKER_CMD[0]}' not found (set DOCKER=podman for Podman)"
running="$("${DOCKER_CMD[@]}" inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" ||
  die "no container named $container (see '${DOCKER_CMD[*]} ps'; the dev stack's is crypto-scout-dev-timescaledb)"
[[ "$running" == "true" ]] || die "container $container is not running"

# ---- Helpers that run inside the container -------------------------------------------------------------------------

# in_pg CMD ARGS...: run CMD in the container as the OS user postgres, with libpq set to connect as DB_USER over the
# local socket. The password is read inside the container; neither it nor a command containing it is on this host.
# shellcheck disable=SC2016 # $1 and $@ are expanded by the container's sh
readonly PG_WRAPPER='pwfile="$1"; shift
if [ -e "$pwfile" ]; then
  [ -r "$pwfile" ] || { echo "cannot read $pwfile as $(id -un)" >&2; exit 1; }
  PGPASSWORD="$(cat "$pwfile")" || exit 1
  export PGPASSWORD
fi
exec "$@"'
in_pg() {
  "${DOCKER_CMD[@]}" exec -i -u postgres -e PGUSER="$DB_USER" -e PGAPPNAME=restore-backup \
    "$container" sh -c "$PG_WRAPPER" sh "$PASSWORD_FILE" "$@"
}

# sql DB [psql options...]: run the SQL script on stdin in DB, stop at the first error, print rows unaligned.
sql() {
  local db="$1"
  shift
  in_pg psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@" -f -
}

# table DB: run the query on stdin in DB and print it as a table.
table() {
  in_pg psql -X -q -v ON_ERROR_STOP=1 -P footer=off -d "$1" -f -
}

remote_dump=""
cleanup() {
  if [[ -n "$remote_dump" ]]; then
    "${DOCKER_CMD[@]}" exec -u 0 "$container" rm -f -- "$remote_dump" >/dev/null 2>&1 ||
      warn "could not remove $remote_dump from $container; remove it by hand"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- The server ----------------------------------------------------------------------------------------------------

log "Checking the server in $container"
server_info="$(sql postgres -v live="$LIVE_DB" <<'SQL'
SELECT current_setting('server_version'),
       coalesce((SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'), ''),
       coalesce((SELECT string_agg(version, ' ' ORDER BY version)
                 FROM pg_available_extension_versions WHERE name = 'timescaledb'), ''),
       (SELECT count(*) FROM pg_database WHERE datname = :'live');
SQL
)" || die "cannot connect to PostgreSQL in $container as $DB_USER (is the server up and healthy?)"
IFS='|' read -r server_version ts_default ts_available live_exists <<<"$server_info"
[[ -n "$ts_default" ]] || die "TimescaleDB is not installed in $container"
log "PostgreSQL $server_version; TimescaleDB $ts_default (installed versions: $ts_available)"

# ---- The dump ------------------------------------------------------------------------------------------------------

remote_dump="/tmp/restore-backup.$$.${RANDOM}.dump"
log "Copying $dump_file ($(du -h -- "$dump_file" | cut -f1)) into $container:$remote_dump"
"${DOCKER_CMD[@]}" cp "$dump_file" "$container:$remote_dump" >&2 || die "copying the dump into $container failed"
# shellcheck disable=SC2016 # $1 is the container shell's
"${DOCKER_CMD[@]}" exec -u 0 "$container" sh -c 'chown postgres "$1" && chmod 600 "$1"' sh "$remote_dump" ||
  die "cannot hand $remote_dump to the postgres user in $container"

log "Checking the archive (pg_restore --list)"
toc="$(in_pg pg_restore --list "$remote_dump" </dev/null)" ||
  die "pg_restore cannot read $dump_file: truncated, corrupt, or made by a newer pg_dump than the server's"
grep -E '^;[[:space:]]+(Archive created at|dbname:|Dumped from database version)' <<<"$toc" | sed 's/^;[[:space:]]*/    /' >&2 || true

toc_has() { grep -Eq "^[0-9]+; [0-9]+ [0-9]+ $1" <<<"$toc"; }
toc_has 'EXTENSION - timescaledb( |$)' ||
  die "the dump has no EXTENSION timescaledb entry: it is not a whole-database dump of a TimescaleDB database." \
    "Dumps filtered with --schema (like the earlier podman-compose deployment's --schema=crypto_scout) leave out TimescaleDB's catalog and the" \
    "chunks in _timescaledb_internal, so they cannot restore hypertables or their rows"
toc_has 'TABLE DATA _timescaledb_catalog hypertable ' ||
  die "the dump has no data for _timescaledb_catalog.hypertable (TimescaleDB's catalog): not a whole-database dump"
chunk_tables="$(grep -Ec '^[0-9]+; [0-9]+ [0-9]+ TABLE DATA _timescaledb_internal ' <<<"$toc" || true)"
log "The archive holds TimescaleDB's catalog and $chunk_tables chunk tables"

# The version the dump was taken with: the ('timescaledb_version', ...) row of _timescaledb_catalog.metadata, read from
# the archive's COPY data for that one table.
dumped_version="$(
  in_pg pg_restore --data-only --schema=_timescaledb_catalog --table=metadata -f - "$remote_dump" </dev/null |
    awk -F'\t' '/^COPY _timescaledb_catalog\.metadata /{c=1; next} c && $0 == "\\." {c=0}
                 c && $1 == "timescaledb_version" && !seen {print $2; seen=1}'
)" || die "pg_restore cannot read the data of _timescaledb_catalog.metadata from the archive"
if [[ -n "$dumped_version" ]]; then
  valid_version "$dumped_version" || die "the dump records an unexpected TimescaleDB version '$dumped_version'"
  [[ -z "$wanted_version" || "$wanted_version" == "$dumped_version" ]] ||
    die "--timescaledb-version $wanted_version, but the dump was taken with TimescaleDB $dumped_version"
  ts_version="$dumped_version"
  log "The dump was taken with TimescaleDB $ts_version"
elif [[ -n "$wanted_version" ]]; then
  ts_version="$wanted_version"
  warn "the dump does not record its TimescaleDB version; using --timescaledb-version $ts_version"
else
  die "the dump does not record its TimescaleDB version. Pass --timescaledb-version with the version the backed-up" \
    "server ran (this server's default is $ts_default); TimescaleDB restores need the same version"
fi
if [[ " $ts_available " != *" $ts_version "* ]]; then
  die "TimescaleDB $ts_version is not installed in $container (it has: $ts_available). Restore with a server of that" \
    "version (image timescale/timescaledb:${ts_version}-pg${server_version%%.*}), then upgrade with ALTER EXTENSION" \
    "timescaledb UPDATE"
fi
if [[ "$ts_version" != "$ts_default" ]]; then
  warn "restoring at TimescaleDB $ts_version, the dump's version; this server's default is $ts_default." \
    "Upgrade the restored database afterwards: psql -X -d $target_db -c 'ALTER EXTENSION timescaledb UPDATE'"
fi

# ---- The target database -------------------------------------------------------------------------------------------

target_state="$(sql postgres -v db="$target_db" -v mark="$SIDE_DB_MARK" <<'SQL'
SELECT CASE WHEN d.datname IS NULL THEN 'absent'
            WHEN starts_with(coalesce(shobj_description(d.oid, 'pg_database'), ''), :'mark') THEN 'ours'
            ELSE 'foreign' END,
       coalesce((SELECT count(*) FROM pg_stat_activity a WHERE a.datname = :'db'), 0),
       coalesce(pg_size_pretty(pg_database_size(d.oid)), '-')
FROM (SELECT 1) AS one LEFT JOIN pg_database d ON d.datname = :'db';
SQL
)" || die "cannot inspect the database $target_db"
IFS='|' read -r target_kind target_sessions target_size <<<"$target_state"

if $replace; then
  if [[ "$target_kind" == "absent" ]]; then
    log "The live database $LIVE_DB does not exist; it will be created"
  else
    printf '\nAbout to DROP the live database %s (%s, %s sessions connected, which will be terminated)\n' \
      "$LIVE_DB" "$target_size" "$target_sessions" >&2
    printf 'and restore it from %s (TimescaleDB %s).\n' "$dump_file" "$ts_version" >&2
    printf 'Stop the writers first; take a fresh backup if the current data matters.\n\n' >&2
    if ! $assume_yes; then
      [[ -t 0 ]] || die "--replace needs --yes when stdin is not a terminal"
      read -r -p "Type the database name ($LIVE_DB) to go on: " answer
      [[ "$answer" == "$LIVE_DB" ]] || die "not confirmed; nothing was changed"
    fi
  fi
elif [[ "$target_kind" == "foreign" ]]; then
  die "database $target_db exists and was not made by this script; pick another --target-db or drop it yourself"
fi

# How to recreate the database. For --replace, as the live one is now (owner, encoding, libc locale, connection
# limit, grants, settings: pg_dump writes none of these without --create); otherwise as the live one if there is one,
# else with the server's defaults. template0: the timescale image creates the extension in template1 (timescale/
# timescaledb-docker, docker-entrypoint-initdb.d/000_install_timescaledb.sh), at its own version, and here it must be
# created at the dump's. CONNECTION LIMIT 0 keeps everyone but superusers out until the end.
create_sql="$(sql postgres -v db="$target_db" -v like="$LIVE_DB" <<'SQL'
SELECT format('CREATE DATABASE %I TEMPLATE template0 OWNER %I ENCODING %L', :'db', pg_get_userbyid(datdba),
              pg_encoding_to_char(encoding))
       || CASE WHEN datlocprovider = 'c' THEN format(' LC_COLLATE %L LC_CTYPE %L', datcollate, datctype) ELSE '' END
       || ' CONNECTION LIMIT 0'
FROM pg_database WHERE datname = :'like'
UNION ALL
SELECT format('CREATE DATABASE %I TEMPLATE template0 CONNECTION LIMIT 0', :'db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'like');
SQL
)" || die "cannot read the properties of $LIVE_DB"

finish_sql="ALTER DATABASE \"$target_db\" CONNECTION LIMIT -1;"
if $replace && [[ "$target_kind" != "absent" ]]; then
  # Grants on the database, its settings (ALTER DATABASE/ROLE ... SET) and its connection limit, to re-apply after
  # the restore. List-valued settings are written unquoted, as stored (search_path="$user", public); others quoted.
  finish_sql="$(sql postgres -v db="$target_db" <<'SQL'
WITH d AS (SELECT oid, datdba, datacl, datconnlimit FROM pg_database WHERE datname = :'db')
SELECT format('ALTER DATABASE %I CONNECTION LIMIT %s;', :'db', datconnlimit) FROM d
UNION ALL
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC;', :'db') FROM d WHERE datacl IS NOT NULL
UNION ALL
SELECT format('GRANT %s ON DATABASE %I TO %s%s;', a.privilege_type, :'db',
              CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
              CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
FROM d, aclexplode(d.datacl) AS a WHERE a.grantee <> d.datdba
UNION ALL
SELECT format('ALTER %s DATABASE %I SET %s = %s;',
              CASE WHEN s.setrole = 0 THEN '' ELSE format('ROLE %I IN', pg_get_userbyid(s.setrole)) END,
              :'db', split_part(c.item, '=', 1),
              CASE WHEN split_part(c.item, '=', 1) IN ('search_path', 'temp_tablespaces', 'session_preload_libraries',
                                                       'local_preload_libraries')
                   THEN substr(c.item, strpos(c.item, '=') + 1)
                   ELSE quote_literal(substr(c.item, strpos(c.item, '=') + 1)) END)
FROM d JOIN pg_db_role_setting s ON s.setdatabase = d.oid, unnest(s.setconfig) AS c(item)
WHERE split_part(c.item, '=', 1) <> 'timescaledb.restoring';
SQL
)" || die "cannot read the grants and settings of $LIVE_DB"
fi

restore_failed() {
  if $replace; then
    die "$1. THE LIVE DATABASE $LIVE_DB IS INCOMPLETE; it accepts superusers only (CONNECTION LIMIT 0). Fix the" \
      "cause and run --replace again (with an older dump if this one is bad)."
  fi
  die "$1. The side database $target_db is left as it is for inspection; the next run drops it."
}

if [[ "$target_kind" != "absent" ]]; then
  log "Dropping $target_db (terminating its $target_sessions sessions)"
  sql postgres <<<"DROP DATABASE \"$target_db\" WITH (FORCE);" || die "cannot drop $target_db"
fi

log "Creating $target_db"
{
  printf '%s;\n' "$create_sql"
  if ! $replace; then
    printf "COMMENT ON DATABASE \"%s\" IS :'comment';\n" "$target_db"
  fi
} | sql postgres -v comment="$SIDE_DB_MARK: restored from $(basename -- "$dump_file") on $(date -u +%Y-%m-%dT%H:%M:%SZ)" ||
  die "cannot create $target_db"

log "CREATE EXTENSION timescaledb VERSION '$ts_version'; SELECT timescaledb_pre_restore()"
sql "$target_db" -v version="$ts_version" >/dev/null <<'SQL' || restore_failed "preparing $target_db failed"
CREATE EXTENSION timescaledb VERSION :'version';
SELECT timescaledb_pre_restore();
SQL

restore_opts=(-Fc -d "$target_db")
if ! $keep_going; then
  restore_opts+=(--exit-on-error)
fi
if $no_owner; then
  restore_opts+=(--no-owner --no-privileges)
fi
log "pg_restore ${restore_opts[*]} (one job: TimescaleDB's catalog does not restore in parallel)"
started=$SECONDS
restore_errors=false
if ! in_pg pg_restore "${restore_opts[@]}" "$remote_dump" </dev/null; then
  $keep_going || restore_failed "pg_restore failed (its error is above; for a missing role see --no-owner)"
  restore_errors=true
  warn "pg_restore reported errors (above); going on because of --keep-going"
fi
log "pg_restore took $((SECONDS - started)) s"

if ! $replace; then
  # A verification copy must not compress or drop chunks next to the live database: pause its policies before
  # post_restore starts its scheduler. The jobs stay listed, so that the restore of policies can be checked.
  log "Pausing the side database's TimescaleDB policies"
  sql "$target_db" >/dev/null <<'SQL' || restore_failed "pausing the policies of $target_db failed"
SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE job_id >= 1000;
SQL
fi

log "SELECT timescaledb_post_restore(); ANALYZE"
sql "$target_db" >/dev/null <<'SQL' || restore_failed "timescaledb_post_restore() or ANALYZE failed"
SELECT timescaledb_post_restore();
ANALYZE;
SQL

log "Opening $target_db"
sql "$target_db" <<<"$finish_sql" || restore_failed "re-applying the database's limits, grants and settings failed"
if $replace && [[ "$target_kind" != "absent" ]]; then
  printf '%s\n' "$finish_sql" | sed 's/^/    /' >&2
fi

# ---- Report ----------------------------------------------------------------------------------------------------------

readonly COUNT_SQL="SELECT format('%I.%I', h.hypertable_schema, h.hypertable_name) AS hypertable,
       h.num_chunks AS chunks,
       (SELECT count(*) FROM timescaledb_information.chunks c
        WHERE (c.hypertable_schema, c.hypertable_name) = (h.hypertable_schema, h.hypertable_name)
          AND c.is_compressed) AS compressed_chunks,
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
                                                   h.hypertable_schema, h.hypertable_name), false, true, '')))[1]
         ::text::bigint AS row_count
FROM timescaledb_information.hypertables h ORDER BY 1;
SELECT count(*) FILTER (WHERE proc_name = 'policy_compression') AS compression_policies,
       count(*) FILTER (WHERE proc_name = 'policy_retention') AS retention_policies,
       count(*) FILTER (WHERE job_id >= 1000) AS jobs,
       count(*) FILTER (WHERE job_id >= 1000 AND scheduled) AS scheduled_jobs,
       pg_size_pretty(pg_database_size(current_database())) AS size
FROM timescaledb_information.jobs;"

printf '\nRestored %s from %s (TimescaleDB %s):\n' "$target_db" "$dump_file" "$ts_version"
table "$target_db" <<<"$COUNT_SQL" || die "counting the rows of $target_db failed"
if ! $replace && [[ "$live_exists" == "1" ]]; then
  printf '\nLive database %s now, for comparison (it has had writes since the backup):\n' "$LIVE_DB"
  table "$LIVE_DB" <<<"$COUNT_SQL" || warn "counting the rows of $LIVE_DB failed"
  printf '\nWhen done (and before any pulumi destroy: the copy holds the roles'\'' grants), drop it:\n  %s exec -u postgres %s sh -c '\''PGPASSWORD="$(cat %s)" exec psql -X -U %s -d postgres -c "DROP DATABASE %s"'\''\n' \
    "${DOCKER_CMD[*]}" "$container" "$PASSWORD_FILE" "$DB_USER" "$target_db"
fi
if $restore_errors; then
  die "pg_restore reported errors (see above): $target_db is incomplete"
fi
