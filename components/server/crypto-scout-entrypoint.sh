#!/bin/sh
# The server container's entrypoint (uploaded to /usr/local/bin/crypto-scout-entrypoint.sh, 0555, by
# components/server/timescaledb-server.ts). It runs before the image's own entrypoint and hands over to it.
#
# Why: the image's entrypoint uses the superuser password (POSTGRES_PASSWORD_FILE) only at initdb, when PGDATA has no
# cluster (docker-library/postgres 17/alpine3.23/docker-entrypoint.sh docker_setup_env: `[ -s "$PGDATA/PG_VERSION" ]`
# sets DATABASE_ALREADY_EXISTS and _main then skips docker_init_database_dir). After `pulumi destroy` the data volume
# stays, `pulumi up` generates a new password, and the old cluster would keep the old one. So on a cluster that exists
# already this script sets the superuser's password first, before any server listens:
#   - from the SCRAM-SHA-256 verifier in $CRYPTO_SCOUT_SUPERUSER_VERIFIER_FILE (computed by the program), never the
#     password, so no statement text, log line or catalog row here holds the password;
#   - in single-user mode (`postgres --single`): no network, no pg_hba.conf, no other session; crash recovery runs
#     there as it would at the server's start. shared_preload_libraries is emptied (no pg_stat_statements to keep the
#     statement text), a failing statement's text is not logged (log_min_error_statement=panic), and exit_on_error
#     turns an error into a non-zero exit, so a failure stops the container with one message instead of starting a
#     server nobody can log in to;
#   - as the postgres user, stepping down from root the way the image does (gosu in postgres:17-alpine since
#     docker-library/postgres "Replace su-exec with gosu"; su-exec before), after the same ownership fix-up the
#     image's docker_create_db_directories makes (a directory adopted from another engine may be owned by another uid).
# Then `exec docker-entrypoint.sh "$@"`: the image's entrypoint runs exactly as before (initdb on an empty PGDATA).
#
# A stale postmaster.pid (the old container was killed) is no obstacle: the single-user backend's parent is this
# script, PID 1 in the container, and PostgreSQL takes a lock file naming its own, its parent's or its grandparent's
# PID as stale (src/backend/utils/init/miscinit.c CreateLockFile); the old postmaster was PID 1 of its container.
#
# POSIX sh (the image's /bin/sh is busybox ash). Tests run this very file against Debian's PostgreSQL 15
# (test/server-entrypoint.test.ts); CRYPTO_SCOUT_NEXT_ENTRYPOINT lets them exec the server directly.
set -eu

say() { printf 'crypto-scout-entrypoint: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

next="${CRYPTO_SCOUT_NEXT_ENTRYPOINT:-docker-entrypoint.sh}"

# Only when the container starts the server, as the image's _main decides (first argument postgres or a flag).
case "${1:-}" in
  postgres | -*) ;;
  *) exec "$next" "$@" ;;
esac

: "${PGDATA:?PGDATA must be set}"
if [ -s "$PGDATA/PG_VERSION" ]; then
  verifier_file="${CRYPTO_SCOUT_SUPERUSER_VERIFIER_FILE:?CRYPTO_SCOUT_SUPERUSER_VERIFIER_FILE must name the superuser password verifier file}"
  user="${POSTGRES_USER:-postgres}"
  # The role name goes into the statement as a quoted identifier: letters, digits and '_' only.
  case "$user" in
    '' | [0-9]* | *[!A-Za-z0-9_]*) fail "POSTGRES_USER must be letters, digits and '_' (not starting with a digit)" ;;
  esac
  [ -r "$verifier_file" ] || fail "cannot read $verifier_file"
  verifier="$(cat "$verifier_file")"
  # Only a verifier is ever sent (PostgreSQL stores it as it is): never anything that could be a password in clear.
  case "$verifier" in
    'SCRAM-SHA-256$'*) ;;
    *) fail "$verifier_file does not hold a SCRAM-SHA-256 verifier" ;;
  esac
  case "$verifier" in
    *[!A-Za-z0-9+/=:\$-]*) fail "$verifier_file does not hold a SCRAM-SHA-256 verifier" ;;
  esac

  run_as_postgres=""
  if [ "$(id -u)" = 0 ]; then
    # docker_create_db_directories, run as root before the image's step-down: PGDATA owned by postgres, mode 0700.
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    chmod 00700 "$PGDATA" || :
    if command -v gosu > /dev/null 2>&1; then
      run_as_postgres="gosu postgres"
    elif command -v su-exec > /dev/null 2>&1; then
      run_as_postgres="su-exec postgres"
    else
      fail "running as root and neither gosu nor su-exec is here to run postgres as the postgres user"
    fi
  fi

  say "PGDATA holds a cluster: setting the password of superuser $user from its SCRAM-SHA-256 verifier (single-user mode)"
  # printf is a shell builtin: the verifier is in no process's argument list. The backend's prompts go to /dev/null;
  # its errors go to stderr (the container log) without the statement.
  if ! printf 'ALTER ROLE "%s" PASSWORD '"'"'%s'"'"'\n' "$user" "$verifier" |
    $run_as_postgres postgres --single -D "$PGDATA" \
      -c exit_on_error=on \
      -c log_min_error_statement=panic \
      -c log_statement=none \
      -c log_min_duration_statement=-1 \
      -c shared_preload_libraries= \
      -c lc_messages=C \
      template1 > /dev/null; then
    fail "could not set the password of superuser $user in $PGDATA (see the errors above); the server is not started"
  fi
  say "superuser $user password set"
fi

exec "$next" "$@"
