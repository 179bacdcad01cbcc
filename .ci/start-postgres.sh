#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 (first free port from 55432) for the database tests, if the machine
# has the server binaries; print the URI to use and the data folder (for pg_ctl stop), or nothing.
set -u
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || exit 0
id postgres >/dev/null 2>&1 || exit 0
dir=$(mktemp -d /tmp/scm-pg.XXXXXX)
chown postgres "$dir"
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null 2>&1 || exit 0
for port in $(seq 55432 55451); do
  if run "$bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -l $dir/log -w start" >/dev/null 2>&1; then
    echo "postgresql://postgres@127.0.0.1:$port/postgres $dir/data"
    exit 0
  fi
done
