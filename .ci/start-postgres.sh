#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1:55432 for the database tests, if the machine
# has the server binaries; print the URI to use, or nothing.
set -u
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || exit 0
id postgres >/dev/null 2>&1 || exit 0
dir=$(mktemp -d /tmp/scm-pg.XXXXXX)
chown postgres "$dir"
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null 2>&1 || exit 0
run "$bin/pg_ctl -D $dir/data -o '-p 55432 -k $dir -c listen_addresses=127.0.0.1' -l $dir/log -w start" >/dev/null 2>&1 || exit 0
echo "postgresql://postgres@127.0.0.1:55432/postgres"
