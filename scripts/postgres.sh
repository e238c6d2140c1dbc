#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests, benchmarks and local production runs.
#   scripts/postgres.sh start <dir> [port] [--socket-dir <sockdir>]
#       -> prints "PGHOST=127.0.0.1 PGPORT=<port>"
#   scripts/postgres.sh stop <dir>
# The Unix socket is <dir>/.s.PGSQL.<port>, or <sockdir>/.s.PGSQL.<port> with
# --socket-dir (e.g. <tmp>/cloudsql/<project>:<region>:<instance>, the layout
# Cloud Run mounts); every directory above <sockdir> must let the `postgres`
# user through (mode o+x).
# Uses Debian's PostgreSQL (installed with apt-get if missing). Postgres refuses
# to run as root, so the cluster runs as the `postgres` user when we are root.
set -euo pipefail
usage="usage: postgres.sh start|stop <dir> [port] [--socket-dir <sockdir>]"
cmd="${1:?$usage}"
dir="${2:?$usage}"
shift 2
port_arg=""
sockdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --socket-dir) sockdir="${2:?$usage}"; shift 2 ;;
    *) port_arg="$1"; shift ;;
  esac
done

pgbin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$d" ]; then
    echo "postgres: installing PostgreSQL from Debian" >&2
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    else
      echo "postgres: PostgreSQL is not installed and we are not root; install the 'postgresql' package" >&2
      exit 1
    fi
    d="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
  echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}

case "$cmd" in
  start)
    bin="$(pgbin)"
    port="${port_arg:-$(free_port)}"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ -n "$sockdir" ]; then
      mkdir -p "$sockdir"
      [ "$(id -u)" = 0 ] && chown postgres "$sockdir"
      if ! as_pg test -w "$sockdir" -a -x "$sockdir"; then
        echo "postgres: the postgres user cannot create its socket in $sockdir (are the directories above it o+x?)" >&2
        exit 1
      fi
    else
      sockdir="$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
      -o "-p $port -k '$sockdir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    echo "$port" > "$dir/port"
    echo "PGHOST=127.0.0.1 PGPORT=$port"
    ;;
  stop)
    bin="$(pgbin)"
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
