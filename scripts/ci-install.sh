# shellcheck shell=bash
# What the test suites need beyond `npm ci`, installed the same way by .ci/run and by the GitHub workflow's test jobs
# (one script, so both run the same suites):
# - PostgreSQL 15's server (package postgresql-15): test/pg-settings.test.ts checks the setting validator against its
#   real command-line parser (postgres -C); the TLS, COPY FROM STDIN and recovery suites start one (test/support/pg15.ts).
#   Debian 12 has it in its own archive. Ubuntu 24.04 and 26.04 do not (16 and 18): there it comes from the PostgreSQL
#   project's apt repository, set up by the script postgresql-common ships for that
#   (/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh; the runner images install PostgreSQL from that repository
#   and then remove its source list: actions/runner-images images/ubuntu/scripts/build/install-postgresql.sh).
# - promtool from the distribution's prometheus package, unpacked only (no service is installed or started):
#   test/monitoring-rules.test.ts runs `promtool check rules` and `promtool test rules` with it (PROMTOOL).
#
# Both optional: what cannot be installed is said on one line, and the suites that need it print SKIPPED. Where every
# suite must run (the workflow: SUITES_REQUIRED=1, scripts/ci-test.ts), that SKIPPED line fails the test step.
#
# Source it (`. scripts/ci-install.sh`, as .ci/run does) to get PROMTOOL exported into the calling shell; on GitHub
# Actions it is also written to $GITHUB_ENV for the job's later steps. Never exits the caller.

ci_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    fi
  fi
  local can_install=yes
  if ! command -v apt-get >/dev/null || { [ "$(id -u)" != 0 ] && [ -z "$sudo" ]; }; then can_install=""; fi

  # ---- PostgreSQL 15's server
  if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
    echo "ci-install: $(/usr/lib/postgresql/15/bin/postgres --version)"
  elif [ -z "$can_install" ]; then
    echo "ci-install: postgresql-15 not installed (no apt-get, or not root and no sudo); the PostgreSQL 15 suites will be skipped"
  else
    if [ "${GITHUB_ACTIONS:-}" = true ] && [ -f /etc/postgresql-common/createcluster.conf ]; then
      # The package would create and start a `15/main` cluster; the tests start their own in temporary directories.
      # The last setting in the file wins (postgresql-common PgCommon.pm read_conf_file).
      echo "create_main_cluster = false" | $sudo tee -a /etc/postgresql-common/createcluster.conf >/dev/null || true
    fi
    local candidate=""
    { $sudo apt-get update -qq || true; } >/dev/null 2>&1
    candidate="$(apt-cache policy postgresql-15 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
    if { [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; } && [ -x /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh ]; then
      echo "ci-install: postgresql-15 is not in this distribution's archive; adding apt.postgresql.org"
      $sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y >/dev/null 2>&1 || true
      { $sudo apt-get update -qq || true; } >/dev/null 2>&1
    fi
    if $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null 2>&1 \
        && [ -x /usr/lib/postgresql/15/bin/postgres ]; then
      echo "ci-install: installed $(/usr/lib/postgresql/15/bin/postgres --version)"
    else
      echo "ci-install: postgresql-15 could not be installed; the PostgreSQL 15 suites will be skipped"
    fi
  fi

  # ---- promtool
  if [ -n "${PROMTOOL:-}" ] || command -v promtool >/dev/null; then
    echo "ci-install: $("${PROMTOOL:-promtool}" --version 2>&1 | sed -n 1p)"
  elif ! command -v apt-get >/dev/null; then
    echo "ci-install: promtool not installed (no apt-get); the promtool checks of the alert rules will be skipped"
  else
    local dir
    dir="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/promtool.XXXXXX")"
    # `apt-get download` needs no root, only the package lists; refresh them once if the package is not found.
    if (cd "$dir" && { apt-get download prometheus >/dev/null 2>&1 || { { $sudo apt-get update -qq || true; } >/dev/null 2>&1 && apt-get download prometheus >/dev/null 2>&1; }; } \
          && dpkg -x prometheus_*.deb root) && [ -x "$dir/root/usr/bin/promtool" ]; then
      export PROMTOOL="$dir/root/usr/bin/promtool"
      echo "ci-install: $("$PROMTOOL" --version 2>&1 | sed -n 1p) (PROMTOOL=$PROMTOOL)"
      if [ -n "${GITHUB_ENV:-}" ]; then echo "PROMTOOL=$PROMTOOL" >> "$GITHUB_ENV"; fi
    else
      echo "ci-install: promtool could not be installed (apt-get download prometheus); the promtool checks of the alert rules will be skipped"
    fi
  fi
}

ci_install
