#!/usr/bin/env bash
# Starts and stops the real services the integration tests use, on loopback only:
# a PostgreSQL primary and a streaming replica (pg_basebackup -R), redis-server, and
# goaws (SNS + SQS); beside them Chromium, which the storefront's browser test
# drives. Installs what is missing from Debian's packages and the Go module proxy;
# where it cannot (not root, no apt-get), it stops and prints the command to run.
#
#   bash scripts/services.sh start     # writes .services/env for the tests to source
#   bash scripts/services.sh stop      # stops each server by its process id
#   bash scripts/services.sh prepare   # only installs and builds what start needs
#
# A second, separate set is what the fault tests freeze (SIGSTOP) and thaw, so the
# other tests, running at the same time, never see their faults:
#
#   SERVICES_SET=faults bash scripts/services.sh start   # .services-faults/env, SHOP_FAULT_*
#
# SERVICES_PORT_OFFSET (default 0) moves every port of both sets, so that two
# clones can run their tests on one machine at the same time. The two sets can
# start at the same time once prepare has run (make test does so).
set -euo pipefail
cd "$(dirname "$0")/.."

set_name=${SERVICES_SET:-test}
case "$set_name" in
  test) state=.services prefix=SHOP_TEST offset=0 ;;
  faults) state=.services-faults prefix=SHOP_FAULT offset=10 ;;
  *) echo "services: SERVICES_SET $set_name: want test or faults" >&2; exit 1 ;;
esac
bin_dir=.services/bin
goaws_version=v0.5.4
offset=$((offset + ${SERVICES_PORT_OFFSET:-0}))
# Below 32768, where Linux picks no client port (ip_local_port_range starts there):
# a port inside that range can be taken by any outgoing connection, the replica's
# own among them, and the server then fails to start with "address in use".
pg_primary_port=$((25432 + offset))
pg_replica_port=$((25433 + offset))
redis_port=$((26379 + offset))
goaws_port=$((24100 + offset))

die() { echo "services: $*" >&2; exit 1; }

# need_packages installs the servers' packages, and chromium, the browser the
# storefront test drives (service/shop/browser_test.go; CHROMIUM names another
# binary). Without root, a missing server stops here with the command to run; a
# missing browser is only reported, so that make run-local and the benchmarks go
# on without it (the browser test fails and says the same).
need_packages() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  local servers=${#missing[@]}
  [ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    [ "$servers" -eq 0 ] || die "missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
    echo "services: missing chromium, which the storefront's browser test needs; install it with: sudo apt-get install -y chromium" >&2
    return
  fi
  echo "services: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# as_pg runs a PostgreSQL command as the postgres user when we are root: PostgreSQL
# refuses to run as root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# prepare installs the packages and builds goaws, once for both sets.
prepare() {
  need_packages
  if [ ! -x "$bin_dir/goaws" ]; then
    echo "services: building goaws $goaws_version"
    # Built from a throwaway module that requires the exact version: `go install
    # pkg@version` would also ask the proxy for the module's version list.
    local build
    build=$(mktemp -d)
    mkdir -p "$bin_dir"
    printf 'module goawsbuild\n\ngo 1.22\n\nrequire github.com/Admiral-Piett/goaws %s\n' "$goaws_version" > "$build/go.mod"
    (cd "$build" && GOFLAGS=-mod=mod go build -o "$OLDPWD/$bin_dir/goaws" github.com/Admiral-Piett/goaws/app/cmd)
    rm -rf "$build"
  fi
}

start() {
  [ -f "$state/env" ] && die "already started ($state/env exists); run: bash scripts/services.sh stop"
  prepare
  mkdir -p "$state"
  local bin
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")

  # PostgreSQL data lives outside the work tree so the postgres user can own it, and
  # in memory (/dev/shm) where it has 2 GiB free: every test creates and drops a
  # database, about a thousand files each, and on a disk's file system (ext4 here)
  # creating files where many were just deleted grows slower run after run. In
  # memory a test database costs the primary and its replica a third of the CPU.
  local pgdata root=/tmp
  if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 2097152 ]; then
    root=/dev/shm
  fi
  pgdata=$(mktemp -d "$root/shop-pg.XXXXXX")
  echo "$pgdata" > "$state/pgdata"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$pgdata"
  as_pg "$bin/initdb" -D "$pgdata/primary" -U shop --auth=trust -E UTF8 >/dev/null
  cat >> "$pgdata/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_primary_port
unix_socket_directories = '$pgdata'
wal_level = replica
max_wal_senders = 4
fsync = off
synchronous_commit = off
full_page_writes = off
# With synchronous_commit off, a commit's WAL reaches the replica only when the WAL
# writer next runs (every 200 ms by default): the tests that wait for the replica
# would wait that long each time.
wal_writer_delay = 10ms
# Every test database written to the WAL (a copy of its template) adds up: a
# checkpoint every 256 MB keeps the WAL, in memory, from growing to the default 1 GB
# (the replica, which copies this file, keeps as little).
max_wal_size = 256MB
CONF
  # The superuser shop logs in without a password; every other role (the
  # components' own, the rotation tests') needs its password, as in RDS.
  { printf 'host all shop 127.0.0.1/32 trust\nhost replication shop 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n'
    cat "$pgdata/primary/pg_hba.conf"; } > "$pgdata/hba" && mv "$pgdata/hba" "$pgdata/primary/pg_hba.conf"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$pgdata/primary/pg_hba.conf"
  as_pg "$bin/pg_ctl" -D "$pgdata/primary" -l "$pgdata/primary.log" -w start >/dev/null
  as_pg "$bin/createdb" -h 127.0.0.1 -p $pg_primary_port -U shop shop
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p $pg_primary_port -U shop -D "$pgdata/replica" -R -X stream -c fast
  # Replay is one process for every database: a replica query that conflicts with
  # it (a lock or a snapshot replay needs) holds up every test's replica until
  # max_standby_streaming_delay (30 s by default) cancels it, past the tests' 20 s
  # wait for the replica. 5 s keeps a conflict from stalling the others.
  printf 'port = %s\nmax_standby_streaming_delay = 5s\n' "$pg_replica_port" >> "$pgdata/replica/postgresql.conf"
  as_pg "$bin/pg_ctl" -D "$pgdata/replica" -l "$pgdata/replica.log" -w start >/dev/null
  echo "$bin" > "$state/pgbin"

  redis-server --bind 127.0.0.1 --port $redis_port --save '' --appendonly no \
    --daemonize yes --pidfile "$PWD/$state/redis.pid" --logfile "$PWD/$state/redis.log"

  cat > "$state/goaws.yaml" <<CONF
Local:
  Host: 127.0.0.1
  Port: $goaws_port
  Region: us-east-1
  AccountId: "100010001000"
  LogToFile: false
  QueueAttributeDefaults:
    VisibilityTimeout: 30
    ReceiveMessageWaitTimeSeconds: 0
CONF
  nohup "$bin_dir/goaws" -config "$state/goaws.yaml" -loglevel warn Local > "$state/goaws.log" 2>&1 &
  echo $! > "$state/goaws.pid"
  for _ in $(seq 50); do
    (echo > /dev/tcp/127.0.0.1/$goaws_port) 2>/dev/null && break
    sleep 0.1
  done
  (echo > /dev/tcp/127.0.0.1/$goaws_port) 2>/dev/null || die "goaws did not start: $(tail -5 $state/goaws.log)"

  for _ in $(seq 50); do [ -s "$state/redis.pid" ] && break; sleep 0.1; done
  # The process IDs are for the fault tests, which freeze and thaw the servers.
  cat > "$state/env" <<ENV
export ${prefix}_PG_PRIMARY='postgres://shop@127.0.0.1:$pg_primary_port/shop?sslmode=disable'
export ${prefix}_PG_REPLICA='postgres://shop@127.0.0.1:$pg_replica_port/shop?sslmode=disable'
export ${prefix}_REDIS='127.0.0.1:$redis_port'
export ${prefix}_AWS_ENDPOINT='http://127.0.0.1:$goaws_port'
export ${prefix}_PG_PRIMARY_PID='$(head -1 "$pgdata/primary/postmaster.pid")'
export ${prefix}_PG_REPLICA_PID='$(head -1 "$pgdata/replica/postmaster.pid")'
export ${prefix}_REDIS_PID='$(cat "$state/redis.pid")'
ENV
  echo "services: $set_name set started (PostgreSQL $pg_primary_port + replica $pg_replica_port, redis $redis_port, goaws $goaws_port); env in $state/env"
}

# running PID: the process is there and not a zombie. The servers are children of
# init once this script has exited, and init may take seconds to collect one that
# has ended.
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0 # no /proc: kill -0 is all there is
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

stop_pid() { # name pid [signal]
  [ -n "$2" ] || return 0
  # A fault test that died may have left it frozen: thaw it and its children first.
  local child
  for child in $(cat /proc/"$2"/task/*/children 2>/dev/null); do kill -CONT "$child" 2>/dev/null || true; done
  kill -CONT "$2" 2>/dev/null || true
  kill -"${3:-TERM}" "$2" 2>/dev/null || return 0
  for _ in $(seq 50); do running "$2" || return 0; sleep 0.1; done
  kill -9 "$2" 2>/dev/null || true
}

stop() {
  [ -d "$state" ] || return 0
  # Every server at once: each takes a second or two to exit.
  stop_pid goaws "$(cat "$state/goaws.pid" 2>/dev/null || true)" &
  stop_pid redis "$(cat "$state/redis.pid" 2>/dev/null || true)" &
  if [ -f "$state/pgdata" ]; then
    local pgdata
    pgdata=$(cat "$state/pgdata")
    for node in replica primary; do
      # SIGQUIT is PostgreSQL's immediate shutdown: these data directories are
      # deleted next, so there is nothing to write back first.
      [ -f "$pgdata/$node/postmaster.pid" ] && stop_pid "postgres $node" "$(head -1 "$pgdata/$node/postmaster.pid")" QUIT &
    done
    wait
    rm -rf "$pgdata"
  fi
  wait
  rm -f "$state"/{env,pgdata,pgbin,*.pid,*.log,goaws.yaml}
  echo "services: $set_name set stopped"
}

case "${1:-}" in
  start) start ;;
  prepare) prepare ;;
  stop) stop ;;
  *) die "usage: $0 start|stop|prepare" ;;
esac
