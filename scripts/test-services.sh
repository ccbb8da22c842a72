#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers for the test suite, on 127.0.0.1 only.
#
#   scripts/test-services.sh start   initdb + start PostgreSQL, start Redis, record them
#   scripts/test-services.sh env     print `export DATABASE_URL=… REDIS_URL=…` for eval
#   scripts/test-services.sh stop    stop exactly the recorded processes (by PID), remove the data
#
# Ports: TEST_PG_PORT (54329) and TEST_REDIS_PORT (63799), away from `make run`'s 6379.
# TEST_PG_OPTIONS adds server options, e.g. "-c shared_preload_libraries=pg_stat_statements".
# Everything lives in one `mktemp -d` directory; var/test-services.env records it and the PIDs.
# PostgreSQL refuses to run as root, so as root it runs as TEST_SERVICES_USER (nobody).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
STATE_FILE=${TEST_SERVICES_STATE:-$ROOT/var/test-services.env}
PG_PORT=${TEST_PG_PORT:-54329}
REDIS_PORT=${TEST_REDIS_PORT:-63799}
DB_NAME=opsportal
RUN_AS=${TEST_SERVICES_USER:-nobody}

log() { echo "test-services: $*" >&2; }
die() {
    log "$*"
    exit 1
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Runs a command as the unprivileged user when we are root, else as ourselves.
as_service_user() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid="$RUN_AS" --regid="$(id -g "$RUN_AS")" --clear-groups \
            env HOME="$TEST_SERVICES_DIR" "$@"
    else
        runuser -u "$RUN_AS" -- env HOME="$TEST_SERVICES_DIR" "$@"
    fi
}

# True when PID is alive and its command line contains MARK (guards against a reused PID).
pid_is_ours() {
    local pid=$1 mark=$2
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark"
}

# Sends SIG to PID and waits up to SECONDS for it to go; then SIGKILL.
stop_pid() {
    local pid=$1 mark=$2 sig=$3 seconds=$4 i
    pid_is_ours "$pid" "$mark" || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
        pid_is_ours "$pid" "$mark" || return 0
        sleep 0.1
    done
    log "PID $pid did not stop after SIG$sig; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}

write_state() {
    {
        printf 'TEST_SERVICES_DIR=%q\n' "$TEST_SERVICES_DIR"
        printf 'PG_DATA=%q\n' "$PG_DATA"
        printf 'PG_PID=%q\n' "${PG_PID:-}"
        printf 'PG_PORT=%q\n' "$PG_PORT"
        printf 'REDIS_PID=%q\n' "${REDIS_PID:-}"
        printf 'REDIS_PORT=%q\n' "$REDIS_PORT"
        printf 'DATABASE_URL=%q\n' "postgres://postgres@127.0.0.1:$PG_PORT/$DB_NAME"
        printf 'REDIS_URL=%q\n' "redis://127.0.0.1:$REDIS_PORT/0"
    } >"$STATE_FILE"
}

cmd_stop() {
    if [ ! -f "$STATE_FILE" ]; then
        log "nothing to stop"
        return 0
    fi
    # shellcheck disable=SC1090
    source "$STATE_FILE"
    # SIGINT is PostgreSQL's fast shutdown: clients are disconnected, no waiting for them.
    stop_pid "${PG_PID:-}" "$PG_DATA" INT 20
    stop_pid "${REDIS_PID:-}" ":$REDIS_PORT" TERM 10
    case "${TEST_SERVICES_DIR:-}" in
        /*/opsportal-test.*) rm -rf -- "$TEST_SERVICES_DIR" ;;
        *) log "not removing unexpected directory '${TEST_SERVICES_DIR:-}'" ;;
    esac
    rm -f -- "$STATE_FILE"
    log "stopped PostgreSQL (:$PG_PORT) and Redis (:$REDIS_PORT)"
}

cmd_start() {
    if [ -f "$STATE_FILE" ]; then
        # shellcheck disable=SC1090
        source "$STATE_FILE"
        if pid_is_ours "${PG_PID:-}" "$PG_DATA" || pid_is_ours "${REDIS_PID:-}" ":$REDIS_PORT"; then
            # Another `make test` may be using them: leave them alone.
            die "already running (see $STATE_FILE); \`$0 stop\` or \`make clean\` stops them"
        fi
        log "removing what a previous run left behind"
        cmd_stop
        PG_PORT=${TEST_PG_PORT:-54329}
        REDIS_PORT=${TEST_REDIS_PORT:-63799}
    fi
    port_in_use "$PG_PORT" && die "127.0.0.1:$PG_PORT is already in use; set TEST_PG_PORT"
    port_in_use "$REDIS_PORT" && die "127.0.0.1:$REDIS_PORT is already in use; set TEST_REDIS_PORT"

    local bindir redis_server
    bindir=$(bash "$ROOT/scripts/ensure-system.sh" --postgres-bindir) ||
        die "PostgreSQL server binaries (initdb, pg_ctl) not found; run scripts/ensure-system.sh"
    redis_server=$(command -v redis-server) || die "redis-server not found; run scripts/ensure-system.sh"

    mkdir -p "$ROOT/var"
    if [ "$(id -u)" -eq 0 ]; then
        # The unprivileged user must reach the directory: keep it under /tmp, not root's TMPDIR.
        TEST_SERVICES_DIR=$(mktemp -d /tmp/opsportal-test.XXXXXX)
        chown "$RUN_AS:$(id -gn "$RUN_AS")" "$TEST_SERVICES_DIR"
    else
        TEST_SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/opsportal-test.XXXXXX")
    fi
    PG_DATA=$TEST_SERVICES_DIR/pg
    # Recorded before anything starts, so a failed start stops whatever it got running.
    write_state
    trap 'cmd_stop' EXIT

    log "PostgreSQL ($bindir) on 127.0.0.1:$PG_PORT, data in $PG_DATA"
    (
        cd "$TEST_SERVICES_DIR"
        as_service_user "$bindir/initdb" -D "$PG_DATA" -A trust -U postgres --no-sync \
            -E UTF8 --no-locale >"$TEST_SERVICES_DIR/initdb.log" 2>&1 ||
            {
                cat "$TEST_SERVICES_DIR/initdb.log" >&2
                exit 1
            }
        # Durability off: a test cluster is thrown away, and fsync is most of a test's time.
        # random_page_cost as for SSD storage, as the README advises for production: with the
        # default 4 the planner scans small tables (the bench's 600 stock levels) rather than
        # look rows up by their index.
        as_service_user "$bindir/pg_ctl" -D "$PG_DATA" -l "$TEST_SERVICES_DIR/postgres.log" \
            -w -t 60 -o "-p $PG_PORT -c listen_addresses=127.0.0.1 \
            -c unix_socket_directories=$TEST_SERVICES_DIR -c max_connections=200 \
            -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
            -c random_page_cost=1.1 ${TEST_PG_OPTIONS:-}" \
            start >/dev/null ||
            {
                cat "$TEST_SERVICES_DIR/postgres.log" >&2
                exit 1
            }
    ) || die "PostgreSQL did not start"
    PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid")
    write_state
    local createdb=$bindir/createdb
    [ -x "$createdb" ] || createdb=$(command -v createdb) || die "createdb not found"
    "$createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$DB_NAME" ||
        die "could not create database $DB_NAME"

    log "Redis on 127.0.0.1:$REDIS_PORT"
    "$redis_server" --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
        --pidfile "$TEST_SERVICES_DIR/redis.pid" --dir "$TEST_SERVICES_DIR" \
        --logfile "$TEST_SERVICES_DIR/redis.log" --save '' --appendonly no
    local i
    for ((i = 0; i < 100; i++)); do
        if [ -s "$TEST_SERVICES_DIR/redis.pid" ] &&
            redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
            break
        fi
        sleep 0.1
    done
    [ -s "$TEST_SERVICES_DIR/redis.pid" ] || {
        cat "$TEST_SERVICES_DIR/redis.log" >&2
        die "Redis did not start"
    }
    REDIS_PID=$(cat "$TEST_SERVICES_DIR/redis.pid")
    write_state
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG ||
        die "Redis does not answer on 127.0.0.1:$REDIS_PORT"
    trap - EXIT
    log "ready: DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$DB_NAME" \
        "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

cmd_env() {
    [ -f "$STATE_FILE" ] || die "not running; use: $0 start"
    # shellcheck disable=SC1090
    source "$STATE_FILE"
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
    printf 'export REDIS_URL=%q\n' "$REDIS_URL"
    printf 'export TEST_SERVICES_DIR=%q\n' "$TEST_SERVICES_DIR"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    env) cmd_env ;;
    *)
        echo "usage: $0 start|stop|env" >&2
        exit 2
        ;;
esac
