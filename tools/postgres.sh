#!/usr/bin/env bash
# A throwaway PostgreSQL for tests: `tools/postgres.sh start <dir>` initialises a cluster in <dir>, starts it
# on a Unix socket in <dir> (no TCP port to collide with) and prints an Npgsql connection string;
# `tools/postgres.sh stop <dir>` stops it. Uses Debian's postgresql package (tools/setup.sh installs it).
set -euo pipefail
cmd=${1:?start|stop}
dir=$(realpath -m "${2:?data directory}")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql, or bash tools/setup.sh)" >&2; exit 1; }
# PostgreSQL refuses to run as root: use the postgres account Debian's package creates.
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/db/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/db" -U rtser --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
    fi
    as_owner "$bin/pg_ctl" -D "$dir/db" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=on -c max_connections=200" start >/dev/null
    echo "Host=$dir;Username=rtser;Database=postgres;Pooling=true"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/db" -m fast -w stop >/dev/null
    ;;
  *) echo "usage: $0 start|stop <dir>" >&2; exit 2 ;;
esac
