#!/usr/bin/env bash
# Point-in-time restore from the PITR sidecar's archive (components/backup/pitr.ts; docs/pitr.md has the runbooks).
#
# Runs on the Docker host. By default it leaves the running server alone:
#   1. a new volume <prefix>-data-restore-<UTC stamp>;
#   2. in a throwaway container of the sidecar's image, with the archive mounted read-only, `pitr.sh restore`
#      (the script the sidecar runs, copied into the archive as /pitr/pitr.sh) copies the newest verified base backup
#      that was consistent before the target and writes the recovery settings (restore_command reading /pitr/wal,
#      recovery_target_time, recovery_target_action = promote, recovery.signal);
#   3. a side container <prefix>-pitr-restore of the server's image on that volume, published on 127.0.0.1:<port>,
#      replays the archive to the target and promotes; the script waits for that.
# With --replace it then puts the restored data in the server's own data volume: the server and the sidecar are
# stopped, the volume's current contents are first copied to <prefix>-data-before-restore-<stamp> (nothing is
# deleted), the old archive is moved aside inside the archive to before-restore-<stamp>/ (the restored server is on a
# new timeline; the sidecar starts a new archive and takes a base backup at once), and both are started again.
#
# Usage: scripts/restore-pitr.sh --to '<UTC time>'|latest [--prefix crypto-scout] [--port 15433] [--replace]
set -euo pipefail

DOCKER=${DOCKER:-docker}
PREFIX=crypto-scout
PORT=15433
TO=""
REPLACE=false

usage() {
  cat <<EOF
Usage: scripts/restore-pitr.sh --to TARGET [options]

Restore the stack's TimescaleDB to TARGET from the PITR archive, into a new volume and a side container.

  --to TARGET       'latest' (everything archived: the lost-volume case) or a UTC time such as '2026-12-06 12:03:00'
                    (YYYY-MM-DD HH:MM:SS[.ffffff], optional Z or +00:00); transactions committed up to it are kept
  --prefix NAME     the stack's namePrefix (default: crypto-scout; dev: crypto-scout-dev)
  --port PORT       host port of the side container on 127.0.0.1 (default: 15433)
  --replace         then replace the server's data with the restored data (the old data is copied aside first)
  DOCKER=podman     use podman instead of docker
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --to) TO=${2:?--to needs a value}; shift 2 ;;
    --prefix) PREFIX=${2:?}; shift 2 ;;
    --port) PORT=${2:?}; shift 2 ;;
    --replace) REPLACE=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "restore-pitr: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$TO" ] || { echo "restore-pitr: --to is required" >&2; usage >&2; exit 2; }

SERVER="$PREFIX-timescaledb"
SIDECAR="$PREFIX-pitr"
SIDE="$PREFIX-pitr-restore"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NEW_VOLUME="$PREFIX-data-restore-$STAMP"

# The mount source (volume name or host directory) of a container's path.
mount_of() {
  "$DOCKER" inspect -f "{{range .Mounts}}{{if eq .Destination \"$2\"}}{{if .Name}}{{.Name}}{{else}}{{.Source}}{{end}}{{end}}{{end}}" "$1"
}

ARCHIVE=$(mount_of "$SIDECAR" /pitr) || { echo "restore-pitr: no container $SIDECAR (is PITR on for this stack?)" >&2; exit 1; }
[ -n "$ARCHIVE" ] || { echo "restore-pitr: $SIDECAR has no /pitr mount" >&2; exit 1; }
SIDECAR_IMAGE=$("$DOCKER" inspect -f '{{.Config.Image}}' "$SIDECAR")
SERVER_IMAGE=$("$DOCKER" inspect -f '{{.Config.Image}}' "$SERVER")
# The server's /dev/shm size (parallel query's dynamic shared memory), so the side container runs its queries too.
SHM_SIZE=$("$DOCKER" inspect -f '{{.HostConfig.ShmSize}}' "$SERVER")
# The server's command line without hba_file (that file is the server container's; the restored data directory
# keeps its own pg_hba.conf, enough for the side container).
mapfile -t CMD < <("$DOCKER" inspect -f '{{range .Config.Cmd}}{{println .}}{{end}}' "$SERVER" | sed '/^$/d')
SIDE_CMD=()
for ((i = 0; i < ${#CMD[@]}; i++)); do
  if [ "${CMD[$i]}" = "-c" ] && [[ "${CMD[$((i + 1))]:-}" == hba_file=* ]]; then i=$((i + 1)); continue; fi
  SIDE_CMD+=("${CMD[$i]}")
done

echo "restore-pitr: archive $ARCHIVE, target $TO, into new volume $NEW_VOLUME"
"$DOCKER" volume create --label com.crypto-scout.restore="$STAMP" "$NEW_VOLUME" >/dev/null
"$DOCKER" run --rm -v "$ARCHIVE:/pitr:ro" -v "$NEW_VOLUME:/restore" "$SIDECAR_IMAGE" \
  sh -c 'chown postgres:postgres /restore && exec gosu postgres sh /pitr/pitr.sh restore "$1" /restore' sh "$TO"

"$DOCKER" rm -f "$SIDE" >/dev/null 2>&1 || true
"$DOCKER" run -d --name "$SIDE" -p "127.0.0.1:$PORT:5432" -e TZ=UTC --shm-size "$SHM_SIZE" \
  -v "$NEW_VOLUME:/var/lib/postgresql/data" -v "$ARCHIVE:/pitr:ro" "$SERVER_IMAGE" "${SIDE_CMD[@]}" >/dev/null
echo "restore-pitr: $SIDE replays the archive to $TO ..."
# Recovery is over when the server has removed recovery.signal (it promotes at the target) and accepts connections.
for _ in $(seq 1 3600); do
  if [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$SIDE")" != true ]; then
    "$DOCKER" logs --tail 30 "$SIDE" >&2
    echo "restore-pitr: $SIDE stopped during recovery (log above); the volume $NEW_VOLUME is left for inspection" >&2
    exit 1
  fi
  if ! "$DOCKER" exec "$SIDE" test -e /var/lib/postgresql/data/recovery.signal && "$DOCKER" exec "$SIDE" pg_isready -q -h 127.0.0.1; then break; fi
  sleep 1
done
"$DOCKER" logs "$SIDE" 2>&1 | grep -E "recovery stopping|archive recovery complete|redo done|selected new timeline" || true
echo "restore-pitr: restored to $TO: $SIDE on 127.0.0.1:$PORT (the server's superuser and password), volume $NEW_VOLUME"

if [ "$REPLACE" != true ]; then
  echo "restore-pitr: the running server is untouched. Check the data, then either copy rows back from the side container or run again with --replace; remove the side container with: $DOCKER rm -f $SIDE"
  exit 0
fi

DATA=$(mount_of "$SERVER" /var/lib/postgresql/data)
BEFORE="$PREFIX-data-before-restore-$STAMP"
echo "restore-pitr: --replace: stopping $SIDE, $SIDECAR and $SERVER; the server's current data goes to $BEFORE first"
"$DOCKER" stop -t 120 "$SIDE" >/dev/null
"$DOCKER" stop "$SIDECAR" >/dev/null
"$DOCKER" stop -t 300 "$SERVER" >/dev/null
"$DOCKER" volume create --label com.crypto-scout.restore="$STAMP" "$BEFORE" >/dev/null
"$DOCKER" run --rm -v "$DATA:/data" -v "$BEFORE:/before" -v "$NEW_VOLUME:/restored:ro" -v "$ARCHIVE:/pitr" "$SIDECAR_IMAGE" sh -euc '
  cp -a /data/. /before/
  find /data -mindepth 1 -delete
  cp -a /restored/. /data/
  mkdir /pitr/before-restore-'"$STAMP"'
  for d in wal base status; do [ ! -e /pitr/$d ] || mv /pitr/$d /pitr/before-restore-'"$STAMP"'/; done
'
"$DOCKER" start "$SERVER" >/dev/null
"$DOCKER" start "$SIDECAR" >/dev/null
"$DOCKER" rm "$SIDE" >/dev/null
echo "restore-pitr: $SERVER runs on the restored data; the old data is in volume $BEFORE, the old archive in $ARCHIVE/before-restore-$STAMP; $SIDECAR starts a new archive and base backup now"
