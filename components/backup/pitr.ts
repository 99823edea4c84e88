/**
 * Point-in-time recovery with PostgreSQL's own tools: the one module that writes the commands the PITR sidecar runs
 * and the drill (scripts/drill-pitr.ts) runs, so the drill proves the deployed commands and flags. Pure: no Pulumi,
 * no I/O.
 *
 * What runs (all from the sidecar image, the official postgres:<major>-alpine, whose client binaries are the
 * server's major):
 *   - `pg_receivewal --synchronous` through a physical replication slot: every WAL record the server flushes is
 *     written and fsynced into the archive's `wal/` within milliseconds (the current segment as `<name>.partial`),
 *     and the slot keeps the server from recycling WAL the receiver has not got, up to `max_slot_wal_keep_size`.
 *   - `pg_basebackup --wal-method=stream --checkpoint=fast` on a schedule into `base/.partial`, then
 *     `pg_verifybackup` (manifest checksums and the WAL the backup needs); only a verified backup is renamed to
 *     `base/<UTC time after verification>`, so its name is never earlier than the moment it became consistent.
 *   - retention: the newest `keep` verified backups stay, and `pg_archivecleanup` removes the WAL before the oldest
 *     kept backup's start segment (read from its backup_label), and no more.
 *   - status files for the metrics: `status/base-backup-verified` (its mtime is the newest verified backup),
 *     `status/verification-failed` (present while the last verification failed), `status/newest-wal` (mtime copied
 *     from the newest archived WAL file).
 *   - restore: the newest verified backup that was consistent before the target, copied into an empty data
 *     directory, with recovery settings that read the archive (`restore_command`, the `.partial` segment included)
 *     and stop at the target, then promote.
 *
 * Everything is one POSIX shell script (busybox ash in the image, dash or bash in the drill) with subcommands, so the
 * sidecar, the drill and scripts/restore-pitr.sh run the same text.
 */

/** Where the sidecar keeps WAL, base backups and status, inside its container (and read-only inside the server's). */
export const PITR_DIR = "/pitr";
/** Where the generated script is uploaded in the sidecar; `run` copies it to `<pitr dir>/pitr.sh` for restores. */
export const PITR_SCRIPT = "/usr/local/bin/pitr.sh";
/** The libpq password file uploaded into the sidecar (`PGPASSFILE`); libpq refuses it unless it is 0600. */
export const PITR_PGPASS_FILE = "/run/secrets/pgpass";
/** The physical replication slot pg_receivewal streams through. */
export const PITR_SLOT = "crypto_scout_pitr";
/** The replication role's name. */
export const REPLICATION_ROLE = "crypto_scout_replication";

/** Files under `<pitr dir>/status` the metrics read. */
export const PITR_STATUS = {
  verified: "status/base-backup-verified",
  verificationFailed: "status/verification-failed",
  newestWal: "status/newest-wal",
} as const;

export interface PitrPlan {
  /** The server's address and port as the sidecar reaches it. */
  readonly host: string;
  readonly port: number;
  /** The replication role. */
  readonly user: string;
  /** The libpq password file holding that role's password (`host:port:*:user:password`). */
  readonly passFile: string;
  /** The archive's directory (holds wal/, base/, status/). */
  readonly dir: string;
  /** The replication slot. */
  readonly slot: string;
  /** Verified base backups kept. */
  readonly keepBaseBackups: number;
  /** Seconds between base backups. */
  readonly baseBackupIntervalSeconds: number;
  /** Seconds between the status updates and schedule checks of `run`. */
  readonly checkSeconds?: number;
}

/**
 * The sidecar's image per server major: the official PostgreSQL image, pinned to a release, whose client binaries
 * (pg_receivewal, pg_basebackup, pg_verifybackup, pg_archivecleanup, psql) are that major's, with busybox's sh and
 * gosu to drop root (docker-library/postgres versions.json and <major>/alpine3.23/Dockerfile at 6edb0a8: 15.17,
 * 16.13, 17.9 on Alpine 3.23). The timescale/timescaledb images are built `FROM postgres:<version>-alpine` too, so
 * the postgres user is uid 70 in both and the files the sidecar writes are the server's.
 */
export const PITR_IMAGES: Readonly<Record<number, string>> = {
  15: "postgres:15.17-alpine3.23",
  16: "postgres:16.13-alpine3.23",
  17: "postgres:17.9-alpine3.23",
};

/** The defaults both stacks deploy (Pulumi.yaml declares the same values). */
export const PITR_DEFAULTS = {
  keepBaseBackups: 2,
  baseBackupIntervalSeconds: 24 * 3600,
  /** max_slot_wal_keep_size: WAL a stopped receiver may make the server keep, in MiB. */
  slotWalKeepMiB: 16 * 1024,
} as const;

/** Rules shared by the settings and the component: undefined when allowed, else what is allowed. */
export const pitrRules = {
  keepBaseBackups: (v: number) => (Number.isInteger(v) && v >= 1 && v <= 100 ? undefined : "a whole number from 1 to 100"),
  baseBackupIntervalSeconds: (v: number) =>
    Number.isInteger(v) && v >= 3600 && v <= 90 * 86400 ? undefined : "a whole number of seconds from 1h to 90d, such as 24h or 7d",
  // The archive is a hostPath or a volume; the slot name is PostgreSQL's rule (lower-case letters, digits, _).
  slot: (v: string) => (/^[a-z0-9_]{1,63}$/.test(v) ? undefined : "a replication slot name: lower-case letters, digits and _, at most 63"),
  slotWalKeepMiB: (v: number) =>
    Number.isInteger(v) && v >= 1024 && v <= 64 * 1024 * 1024 ? undefined : "a whole number of MiB from 1GiB to 64TiB",
};

/** A value in single quotes for sh. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The libpq password file's one line for `user` (libpq's pgpass format escapes `\` and `:`). */
export function pgpassLine(host: string, port: number, user: string, password: string): string {
  const esc = (s: string) => s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return `${esc(host)}:${port}:*:${esc(user)}:${esc(password)}\n`;
}

/**
 * The server's pg_hba.conf when the program owns it (`-c hba_file=...`). The first lines are what the image's data
 * directory has on a fresh start: initdb's sample with `--auth-local=scram-sha-256 --auth-host=scram-sha-256`
 * (PostgreSQL src/backend/libpq/pg_hba.conf.sample: local all, host all 127.0.0.1/32 and ::1/128, and the same three
 * for replication) and the entrypoint's `host all all all scram-sha-256` (docker-library/postgres
 * docker-entrypoint.sh pg_setup_hba_conf, which timescale/timescaledb-docker's image inherits: its Dockerfile is
 * `FROM postgres:<version>-alpine`). `all` in the database column does not match replication connections
 * (PostgreSQL docs, "The pg_hba.conf File"), so the replication role gets its own line, for any address on the
 * stack's network. Owned here, the rules are the same on a server whose data directory already existed.
 */
export function pgHbaConf(replicationRole: string): string {
  return [
    "# Written by crypto-scout-db (components/backup/pitr.ts); the server reads it through -c hba_file.",
    "# TYPE  DATABASE     USER  ADDRESS       METHOD",
    "local   all          all                 scram-sha-256",
    "host    all          all   127.0.0.1/32  scram-sha-256",
    "host    all          all   ::1/128       scram-sha-256",
    "local   replication  all                 scram-sha-256",
    "host    replication  all   127.0.0.1/32  scram-sha-256",
    "host    replication  all   ::1/128       scram-sha-256",
    "host    all          all   all           scram-sha-256",
    `host    replication  ${replicationRole}  all  scram-sha-256`,
    "",
  ].join("\n");
}

/** The restore_command that reads the archive, the receiver's unfinished `.partial` segment included. */
export function restoreCommand(dir: string): string {
  return `f="${dir}/wal/%f"; [ -f "$f" ] || f="$f.partial"; cp "$f" "%p"`;
}

/**
 * A recovery target as the restore takes it: `latest` (the end of the archive: the lost-volume case) or a UTC time
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` with an optional `Z`, `+00`, `+00:00` or ` UTC` (the server runs in UTC; a time in
 * another zone is refused rather than guessed). Returns what is wrong, or undefined.
 */
export function recoveryTargetProblem(target: string): string | undefined {
  if (target === "latest" || TARGET.test(target)) return undefined;
  return `'latest' or a UTC time such as '2026-12-06 12:03:00' (YYYY-MM-DD HH:MM:SS[.ffffff], optional Z or +00:00)`;
}
const TARGET = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|\+00|\+00:00| UTC)?$/;

/** The same pattern, as the script's grep -E checks it. */
const TARGET_ERE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?(Z|[+]00|[+]00:00| UTC)?$";

/**
 * The script, its settings on top. Subcommands:
 *   run                      the sidecar: receive WAL, take base backups on schedule, keep status
 *   receive                  only the WAL receiver loop (the drill runs it in the background)
 *   backup                   one base backup now: pg_basebackup, pg_verifybackup, rename, retention
 *   status                   refresh the status files once
 *   restore TARGET DATADIR   an empty DATADIR prepared to recover to TARGET (`latest` or a UTC time) and promote
 */
export function pitrScript(plan: PitrPlan): string {
  for (const [key, problem] of [
    ["keepBaseBackups", pitrRules.keepBaseBackups(plan.keepBaseBackups)],
    ["slot", pitrRules.slot(plan.slot)],
  ] as const) {
    if (problem) throw new Error(`pitrScript: ${key} is ${JSON.stringify(plan[key])}; expected ${problem}`);
  }
  if (!Number.isInteger(plan.baseBackupIntervalSeconds) || plan.baseBackupIntervalSeconds < 1) {
    throw new Error("pitrScript: baseBackupIntervalSeconds must be a whole number of seconds");
  }
  const q = shQuote;
  return `#!/bin/sh
# Point-in-time recovery archive: generated by crypto-scout-db components/backup/pitr.ts. The PITR sidecar runs
# "pitr.sh run"; the drill (npm run drill:pitr) and scripts/restore-pitr.sh run this same text.
set -u
PGHOST=${q(plan.host)}
PGPORT=${q(String(plan.port))}
PGUSER=${q(plan.user)}
PGPASSFILE=${q(plan.passFile)}
export PGHOST PGPORT PGUSER PGPASSFILE
PITR_DIR=${q(plan.dir)}
SLOT=${q(plan.slot)}
KEEP=${plan.keepBaseBackups}
INTERVAL=${plan.baseBackupIntervalSeconds}
CHECK=${plan.checkSeconds ?? 30}
WAL_DIR="$PITR_DIR/wal"
BASE_DIR="$PITR_DIR/base"
STATUS_DIR="$PITR_DIR/status"

log() { echo "pitr: $(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }
die() { echo "pitr: $*" >&2; exit 1; }
prepare() { mkdir -p "$WAL_DIR" "$BASE_DIR" "$STATUS_DIR" || die "cannot create $WAL_DIR, $BASE_DIR, $STATUS_DIR"; }
# Verified base backups, oldest first: only renamed ones (YYYYMMDDTHHMMSSZ, the UTC time after verification).
backups() { ls -1 "$BASE_DIR" 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z$' | sort; }
# Seconds since FILE was modified; a large number when it does not exist.
age() { if [ -e "$1" ]; then echo $(( $(date +%s) - $(stat -c %Y "$1") )); else echo 999999999; fi; }

# WAL over the replication protocol through the slot, fsynced as it arrives (--synchronous). --no-loop: this loop
# restarts it, re-creating the slot first if it was dropped.
receive() {
  prepare
  while :; do
    if pg_receivewal --no-password --create-slot --if-not-exists --slot="$SLOT"; then
      log "receiving WAL into $WAL_DIR through slot $SLOT"
      pg_receivewal --no-password --directory="$WAL_DIR" --slot="$SLOT" --synchronous --no-loop --status-interval=10
      log "pg_receivewal exited with status $?; restarting in 5 s"
    else
      log "cannot reach the server to create slot $SLOT; retrying in 5 s"
    fi
    sleep 5
  done
}

# Keeps the newest KEEP verified backups, and the WAL from the oldest kept one's start segment on.
retain() {
  count=$(backups | wc -l)
  if [ "$count" -gt "$KEEP" ]; then
    for old in $(backups | head -n $((count - KEEP))); do
      log "removing base backup $old (keeping $KEEP)"
      rm -rf "\${BASE_DIR:?}/$old"
    done
  fi
  oldest=$(backups | head -n 1)
  [ -n "$oldest" ] || return 0
  segment=$(sed -n 's/^START WAL LOCATION: .*(file \\([0-9A-F]\\{24\\}\\))$/\\1/p' "$BASE_DIR/$oldest/backup_label")
  [ -n "$segment" ] || { log "no START WAL LOCATION in $oldest/backup_label; WAL kept"; return 1; }
  pg_archivecleanup "$WAL_DIR" "$segment" || { log "pg_archivecleanup failed"; return 1; }
  log "WAL before $segment removed (the start of the oldest kept base backup $oldest)"
}

backup() {
  prepare
  tmp="$BASE_DIR/.partial"
  rm -rf "$tmp"
  log "base backup starting"
  if ! pg_basebackup --no-password --pgdata="$tmp" --wal-method=stream --checkpoint=fast --label=crypto-scout-pitr; then
    log "pg_basebackup failed"
    rm -rf "$tmp"
    return 1
  fi
  if ! pg_verifybackup "$tmp" >"$STATUS_DIR/verification.log" 2>&1; then
    cat "$STATUS_DIR/verification.log"
    log "pg_verifybackup FAILED; the backup is kept as $BASE_DIR/.failed, not used for restores"
    rm -rf "$BASE_DIR/.failed"
    mv "$tmp" "$BASE_DIR/.failed"
    cp "$STATUS_DIR/verification.log" "$STATUS_DIR/verification-failed"
    return 1
  fi
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  while [ -e "$BASE_DIR/$stamp" ]; do sleep 1; stamp=$(date -u +%Y%m%dT%H%M%SZ); done
  mv "$tmp" "$BASE_DIR/$stamp"
  rm -f "$STATUS_DIR/verification-failed"
  touch "$STATUS_DIR/base-backup-verified"
  log "base backup $stamp verified"
  retain
}

status() {
  newest=$(ls -1t "$WAL_DIR" 2>/dev/null | head -n 1)
  [ -n "$newest" ] && touch -r "$WAL_DIR/$newest" "$STATUS_DIR/newest-wal"
  return 0
}

run() {
  prepare
  # The restore runs this script from the archive volume (scripts/restore-pitr.sh).
  cp "$0" "$PITR_DIR/pitr.sh" 2>/dev/null || true
  receive &
  # The first base backup waits for the archive to start, so the WAL from its start point on is archived.
  while [ -z "$(ls -A "$WAL_DIR")" ]; do sleep 2; done
  attempt=0
  while :; do
    status
    now=$(date +%s)
    if [ -z "$(backups)" ] || [ "$(age "$STATUS_DIR/base-backup-verified")" -ge "$INTERVAL" ]; then
      # A failed attempt is retried after a tenth of the interval, not at every check.
      if [ $((now - attempt)) -ge $((INTERVAL / 10)) ]; then attempt=$now; backup; fi
    fi
    sleep "$CHECK"
  done
}

# restore TARGET DATADIR: the newest verified backup consistent before TARGET (its name, a whole second taken after
# verification, is earlier than TARGET's second), with recovery settings; the server started on DATADIR then
# replays the archive to TARGET and promotes.
restore() {
  target=\${1:-}; dest=\${2:-}
  [ -n "$target" ] && [ -n "$dest" ] || die "usage: pitr.sh restore latest|'YYYY-MM-DD HH:MM:SS[.ffffff]' DATADIR"
  if [ "$target" != latest ] && ! echo "$target" | grep -Eq '${TARGET_ERE}'; then
    die "--to is '$target'; expected 'latest' or a UTC time such as '2026-12-06 12:03:00'"
  fi
  [ -d "$dest" ] || die "$dest is not a directory"
  [ -z "$(ls -A "$dest")" ] || die "$dest is not empty"
  if [ "$target" = latest ]; then
    base=$(backups | tail -n 1)
  else
    # YYYY-MM-DD HH:MM:SS -> YYYYMMDDTHHMMSSZ, compared as text.
    second=$(echo "$target" | cut -c1-19 | sed 's/[-:]//g; s/[ T]/T/')Z
    base=""
    for b in $(backups); do [ "$b" \\< "$second" ] && base=$b; done
  fi
  [ -n "$base" ] || die "no verified base backup in $BASE_DIR finished before $target"
  log "restoring base backup $base into $dest, recovery target $target"
  cp -a "$BASE_DIR/$base/." "$dest/" || die "copy failed"
  {
    echo "# crypto-scout-db PITR restore of base backup $base, target $target"
    echo "restore_command = 'f=\\"$PITR_DIR/wal/%f\\"; [ -f \\"\\$f\\" ] || f=\\"\\$f.partial\\"; cp \\"\\$f\\" \\"%p\\"'"
    if [ "$target" != latest ]; then
      echo "recovery_target_time = '$(echo "$target" | sed 's/ UTC$//; s/Z$//; s/+00:00$//; s/+00$//')+00'"
      echo "recovery_target_action = 'promote'"
    fi
  } >>"$dest/postgresql.auto.conf"
  touch "$dest/recovery.signal"
  chmod 700 "$dest"
  echo "$base"
}

case "\${1:-}" in
  run) run ;;
  receive) receive ;;
  backup) backup ;;
  status) prepare; status ;;
  restore) shift; restore "$@" ;;
  *) die "usage: pitr.sh run|receive|backup|status|restore TARGET DATADIR" ;;
esac
`;
}

/** Where the program's pg_hba.conf is uploaded into the server container (outside PGDATA: it is not the data's). */
export const PITR_HBA_FILE = "/etc/crypto-scout/pg_hba.conf";

/**
 * The server's command line with what the archive needs, right after `postgres` so that the stack's own
 * postgresSettings, later on the line, still win (the postmaster keeps the last occurrence): the program's pg_hba.conf
 * (the replication rule), and max_slot_wal_keep_size, so a stopped receiver cannot make the server keep WAL without
 * bound (the slot is invalidated instead, which alerts). wal_level is already the seed's `replica`, and PostgreSQL's
 * defaults max_wal_senders 10 and max_replication_slots 10 leave room for the receiver and pg_basebackup's stream.
 */
export function withPitrServerSettings(command: readonly string[], slotWalKeepMiB: number): string[] {
  const problem = pitrRules.slotWalKeepMiB(slotWalKeepMiB);
  if (problem) throw new Error(`withPitrServerSettings: slotWalKeepMiB is ${slotWalKeepMiB}; expected ${problem}`);
  return [command[0], "-c", `hba_file=${PITR_HBA_FILE}`, "-c", `max_slot_wal_keep_size=${slotWalKeepMiB}MB`, ...command.slice(1)];
}

/**
 * The archive's metrics, as sql_exporter metrics of the stack's collector (components/monitoring/sql-exporter.ts),
 * read on the server by the monitoring role (pg_monitor): the slot from pg_replication_slots (readable by every
 * role), the receiver from pg_stat_replication (its LSNs and reply_time need pg_read_all_stats, which pg_monitor
 * has). Gauges; a NULL is not exported. What only the archive volume knows (the newest verified base backup, a
 * failed verification, the newest archived file) is in its status files, which the server reads through its
 * read-only mount for the metrics of components/monitoring/pitr-status.ts, and in the sidecar's health check
 * (pitrHealthCheck): the server keeps no trace of a finished base backup without archive_mode (its backup history
 * file is removed at once, PostgreSQL xlog.c CleanupBackupHistory).
 */
export function pitrMetrics(slot: string): object[] {
  if (pitrRules.slot(slot)) throw new Error(`pitrMetrics: slot is ${JSON.stringify(slot)}; expected ${pitrRules.slot(slot)}`);
  const slotRow = `FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = '${slot}'`;
  return [
    {
      metric_name: "crypto_scout_pitr_slot_present",
      type: "gauge",
      help: "1 when the PITR archive's replication slot exists on the server, else 0.",
      values: ["present"],
      query: `SELECT (s.slot_name IS NOT NULL)::int::float8 AS present ${slotRow}`,
    },
    {
      metric_name: "crypto_scout_pitr_slot_active",
      type: "gauge",
      help: "1 while the WAL receiver streams through the slot, else 0 (absent without the slot).",
      values: ["active"],
      query: `SELECT s.active::int::float8 AS active ${slotRow}`,
    },
    {
      metric_name: "crypto_scout_pitr_slot_invalidated",
      type: "gauge",
      help: "1 when the slot lost WAL the receiver had not got (wal_status lost: max_slot_wal_keep_size was exceeded); the archive has a gap.",
      values: ["invalidated"],
      // A slot that has reserved no WAL yet has no wal_status: not invalidated.
      query: `SELECT CASE WHEN s.slot_name IS NOT NULL THEN (coalesce(s.wal_status, '') = 'lost')::int::float8 END AS invalidated ${slotRow}`,
    },
    {
      metric_name: "crypto_scout_pitr_archive_lag_bytes",
      type: "gauge",
      help: "WAL the server has written that the archive has not confirmed flushed (the slot's position; the WAL the server keeps for it).",
      values: ["lag"],
      query: `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::float8 AS lag ${slotRow}`,
    },
    {
      metric_name: "crypto_scout_pitr_receiver_reply_age_seconds",
      type: "gauge",
      help: "Seconds since the WAL receiver last reported to the server (it does every 10 s and after every write; absent while none is connected).",
      values: ["age"],
      query: `SELECT extract(epoch FROM now() - max(r.reply_time))::float8 AS age FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid AND s.slot_name = '${slot}'`,
    },
  ];
}

/**
 * The sidecar's health check: unhealthy while the WAL receiver is not running, while the last verification failed,
 * or once the newest verified base backup is older than two intervals.
 */
export function pitrHealthCheck(dir: string, baseBackupIntervalSeconds: number): string {
  const verified = `${dir}/${PITR_STATUS.verified}`;
  return (
    `pgrep -x pg_receivewal >/dev/null && [ ! -e ${dir}/${PITR_STATUS.verificationFailed} ] && ` +
    `{ [ ! -e ${verified} ] || [ $(( $(date +%s) - $(stat -c %Y ${verified}) )) -lt ${2 * baseBackupIntervalSeconds} ]; }`
  );
}
