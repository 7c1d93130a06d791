#!/usr/bin/env bash
# Local stand-ins for the platform's services, on 127.0.0.1 only (see DESIGN.md "Local stand-ins"):
#   kafka     tansu 0.6.0, SQLite storage         port ${COINKING_KAFKA_PORT:-9092}
#   dynamodb  dynalite 4.0.0                       port ${COINKING_DYNAMODB_PORT:-4567}
#   kinesis   kinesalite 3.3.3                     port ${COINKING_KINESIS_PORT:-4569}
#   s3        moto[server] 5.2.5 (moto_server)     port ${COINKING_S3_PORT:-5055}
#   redis     redis-server (Debian's package, 7.0)  port ${COINKING_REDIS_PORT:-6390}
#
# Usage: scripts/services.sh up|down|status|install|env|ports|running [service...]
#   up       install what is missing, start what is not running, wait until each answers
#   down     stop the processes this script started (TERM, then KILL after a grace period)
#   status   report each service
#   install  only install the tools
#   env      print `export COINKING_…` lines for the endpoints (eval "$(scripts/services.sh env)")
#   ports    print `export COINKING_*_PORT=…` lines: an explicit value, else the port a running
#            service of ours uses, else the default if it is free, else a free port
#   running  print the names of the services that are running (started by this script)
#
# Tools go to ${COINKING_TOOLS_DIR:-~/.cache/coinking/tools} and are reused between runs; tansu is
# `cargo install`ed into ~/.cargo/bin unless `tansu` is already on PATH (or COINKING_TANSU_BIN);
# redis-server comes from apt (Debian's `redis-server` package) when it is not on PATH.
# State (pid files, logs, tansu data) lives in ${COINKING_SERVICES_DIR:-<repo>/.services}.
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${COINKING_TOOLS_DIR:-$HOME/.cache/coinking/tools}
SERVICES_DIR=${COINKING_SERVICES_DIR:-$REPO_ROOT/.services}
READY_TIMEOUT_S=${COINKING_SERVICES_READY_TIMEOUT:-60}
STOP_GRACE_S=${COINKING_SERVICES_STOP_GRACE:-10}
PYTHON=${COINKING_PYTHON:-python3}
REGION=${COINKING_AWS_REGION:-us-east-1}

DYNALITE_VERSION=4.0.0
KINESALITE_VERSION=3.3.3
MOTO_VERSION=5.2.5
TANSU_VERSION=0.6.0

ALL_SERVICES=(kafka dynamodb kinesis s3 redis)
NODE_DIR=$TOOLS_DIR/node
MOTO_VENV=$TOOLS_DIR/moto-venv
PID_DIR=$SERVICES_DIR/pids
LOG_DIR=$SERVICES_DIR/logs
KAFKA_DATA_DIR=$SERVICES_DIR/kafka-data
REDIS_DATA_DIR=$SERVICES_DIR/redis-data

log() { printf 'services: %s\n' "$*"; }
die() {
    printf 'services: error: %s\n' "$*" >&2
    exit 1
}

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
# Seconds since a now_us timestamp, one decimal.
elapsed() {
    local ms=$((($(now_us) - $1) / 1000))
    printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

port_variable() { echo "COINKING_$(tr '[:lower:]' '[:upper:]' <<<"$1")_PORT"; }

default_port() {
    case $1 in
        kafka) echo 9092 ;;
        dynamodb) echo 4567 ;;
        kinesis) echo 4569 ;;
        s3) echo 5055 ;;
        # Not 6379: a system redis (Debian's package starts one where systemd runs) keeps it.
        redis) echo 6390 ;;
        *) die "unknown service '$1' (expected one of: ${ALL_SERVICES[*]})" ;;
    esac
}

# The port in effect: an explicit COINKING_*_PORT, else the one our running service was started
# on, else the default.
port_of() {
    local variable recorded
    variable=$(port_variable "$1")
    if [[ -n ${!variable:-} ]]; then
        echo "${!variable}"
        return
    fi
    recorded=$(recorded_port "$1")
    if [[ -n $recorded ]] && our_pid "$1" >/dev/null; then
        echo "$recorded"
        return
    fi
    default_port "$1"
}

# A word of the command line that tells our process apart from whatever reused its PID.
marker_of() {
    case $1 in
        kafka) echo tansu ;;
        dynamodb) echo dynalite ;;
        kinesis) echo kinesalite ;;
        s3) echo moto_server ;;
        redis) echo redis-server ;;
    esac
}

pid_file() { echo "$PID_DIR/$1.pid"; }
port_file() { echo "$PID_DIR/$1.port"; }
recorded_port() { cat "$(port_file "$1")" 2>/dev/null || true; }
forget() { rm -f "$(pid_file "$1")" "$(port_file "$1")"; }
log_file() { echo "$LOG_DIR/$1.log"; }

# The recorded PID if that process is alive and is still the service we started.
our_pid() {
    local file pid
    file=$(pid_file "$1")
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(marker_of "$1")" || return 1
    echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_owner() {
    if command -v ss >/dev/null; then
        ss -ltnpH "sport = :$1" 2>/dev/null | head -n 3
    fi
}

# ---------------------------------------------------------------- install

tansu_bin() {
    if [[ -n ${COINKING_TANSU_BIN:-} ]]; then
        echo "$COINKING_TANSU_BIN"
    elif command -v tansu; then
        :
    elif [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/tansu ]]; then
        echo "${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
    fi
}

node_package_version() {
    node -e 'try { console.log(require(process.argv[1]).version) } catch { console.log("") }' \
        "$NODE_DIR/node_modules/$1/package.json"
}

install_node_tools() {
    if [[ $(node_package_version dynalite) == "$DYNALITE_VERSION" &&
    $(node_package_version kinesalite) == "$KINESALITE_VERSION" ]]; then
        log "dynalite $DYNALITE_VERSION and kinesalite $KINESALITE_VERSION present in $NODE_DIR"
        return
    fi
    command -v npm >/dev/null || die "npm not found: install Node.js 20+ with npm"
    local start
    start=$(now_us)
    log "installing dynalite@$DYNALITE_VERSION kinesalite@$KINESALITE_VERSION into $NODE_DIR"
    mkdir -p "$NODE_DIR"
    [[ -f $NODE_DIR/package.json ]] || echo '{"private": true}' >"$NODE_DIR/package.json"
    npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
        "dynalite@$DYNALITE_VERSION" "kinesalite@$KINESALITE_VERSION"
    log "installed dynalite and kinesalite in $(elapsed "$start")"
}

moto_version() {
    [[ -x $MOTO_VENV/bin/python && -x $MOTO_VENV/bin/moto_server ]] || return 0
    "$MOTO_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' \
        2>/dev/null || true
}

install_moto() {
    if [[ $(moto_version) == "$MOTO_VERSION" ]]; then
        log "moto $MOTO_VERSION present in $MOTO_VENV"
        return
    fi
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found: install Python 3.9+ (or set COINKING_PYTHON)"
    local start
    start=$(now_us)
    log "installing moto[server]==$MOTO_VERSION into a venv at $MOTO_VENV"
    rm -rf "$MOTO_VENV"
    "$PYTHON" -m venv "$MOTO_VENV" ||
        die "could not create a venv with $PYTHON (on Debian: apt-get install python3-venv)"
    "$MOTO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "moto[server]==$MOTO_VERSION"
    log "installed moto in $(elapsed "$start")"
}

install_tansu() {
    local bin
    bin=$(tansu_bin)
    if [[ -n $bin ]]; then
        local version
        version=$(timeout 10 "$bin" --version 2>/dev/null | head -n 1 || true)
        [[ $version == "tansu $TANSU_VERSION" ]] ||
            log "warning: $bin reports '$version', DESIGN.md measured tansu $TANSU_VERSION"
        log "tansu present at $bin"
        return
    fi
    command -v cargo >/dev/null || die "cargo not found: tansu is installed with cargo install"
    local start
    start=$(now_us)
    log "installing tansu $TANSU_VERSION with cargo install (about 10 minutes on 2 cores, once per machine)"
    # Its own temporary target dir: a shared CARGO_TARGET_DIR would keep GBs of release artefacts.
    env -u CARGO_TARGET_DIR cargo install tansu --version "$TANSU_VERSION" --locked --features libsql
    [[ -n $(tansu_bin) ]] || die "cargo install tansu finished but no tansu binary was found (PATH, \$CARGO_HOME/bin)"
    log "installed tansu in $(elapsed "$start")"
}

# Debian's redis-server (7.0 on bookworm); its postinst may start a system redis on 6379 where
# systemd runs, which is harmless: ours runs on its own port.
install_redis() {
    if command -v redis-server >/dev/null; then
        log "redis-server present ($(redis-server --version | awk '{print $3}'))"
        return
    fi
    command -v apt-get >/dev/null ||
        die "redis-server not found and no apt-get: install Redis 7 (or Valkey) so that redis-server is on PATH"
    local start sudo=()
    start=$(now_us)
    if ((EUID != 0)); then sudo=(sudo -n); fi
    log "installing redis-server with apt-get"
    "${sudo[@]}" apt-get update -qq
    # env past sudo (its env_reset would drop the variable). Where the package's postinst cannot
    # start its system service (no systemd, a policy-rc.d) apt may fail although the binary is
    # unpacked: what counts is redis-server on PATH.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends redis-server ||
        log "warning: apt-get install redis-server exited with $? (checking for the binary)"
    hash -r
    command -v redis-server >/dev/null || die "apt-get install redis-server left no redis-server on PATH"
    log "installed redis-server in $(elapsed "$start")"
}

install_for() {
    local need_node=false need_moto=false need_tansu=false need_redis=false svc
    for svc in "$@"; do
        case $svc in
            dynamodb | kinesis) need_node=true ;;
            s3) need_moto=true ;;
            kafka) need_tansu=true ;;
            redis) need_redis=true ;;
        esac
    done
    local start
    start=$(now_us)
    if $need_node; then
        command -v node >/dev/null || die "node not found: install Node.js 20+"
        install_node_tools
    fi
    if $need_moto; then install_moto; fi
    if $need_tansu; then install_tansu; fi
    if $need_redis; then install_redis; fi
    log "tools ready in $(elapsed "$start")"
}

# ---------------------------------------------------------------- start, probe, stop

# Starts one service in its own session, stdout/stderr to its log; prints the PID.
launch() {
    # Runs in a command substitution: closing the lock fd here keeps it out of the service.
    exec 9>&-
    local svc=$1 port log_path
    port=$(port_of "$svc")
    log_path=$(log_file "$svc")
    : >"$log_path"
    case $svc in
        kafka)
            mkdir -p "$KAFKA_DATA_DIR"
            # Run from the data dir: the SQLite URL is relative. Variables tansu would read
            # as defaults for flags we do not pass are dropped.
            (cd "$KAFKA_DATA_DIR" && exec env -u OTEL_EXPORTER_OTLP_ENDPOINT -u SCHEMA_REGISTRY \
                setsid nohup "$(tansu_bin)" broker \
                --listener-url "tcp://127.0.0.1:$port" \
                --advertised-listener-url "tcp://127.0.0.1:$port" \
                --storage-engine sqlite://tansu.db) >>"$log_path" 2>&1 </dev/null &
            ;;
        dynamodb)
            setsid nohup node "$NODE_DIR/node_modules/dynalite/cli.js" --host 127.0.0.1 \
                --port "$port" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
                >>"$log_path" 2>&1 </dev/null &
            ;;
        kinesis)
            # kinesalite's CLI has no host flag, so listen through its API.
            setsid nohup node -e "
                const server = require(process.argv[1])({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0});
                server.listen(Number(process.argv[2]), '127.0.0.1', () =>
                    console.log('kinesalite listening on 127.0.0.1:' + process.argv[2]));
            " "$NODE_DIR/node_modules/kinesalite" "$port" >>"$log_path" 2>&1 </dev/null &
            ;;
        s3)
            setsid nohup "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" \
                >>"$log_path" 2>&1 </dev/null &
            ;;
        redis)
            # In memory only (no RDB, no AOF), logs to stdout (the log file), foreground.
            mkdir -p "$REDIS_DATA_DIR"
            setsid nohup redis-server --bind 127.0.0.1 --port "$port" --save "" \
                --appendonly no --dir "$REDIS_DATA_DIR" --daemonize no --protected-mode yes \
                --logfile "" >>"$log_path" 2>&1 </dev/null &
            ;;
    esac
    echo $!
}

curl_supports_sigv4() { curl --help all 2>/dev/null | grep -q -- --aws-sigv4; }

# A real, signed request that the stand-in answers with a well-formed result.
http_probe() {
    local service=$1 port=$2 expect=$3
    shift 3
    local body
    if curl_supports_sigv4; then
        body=$(curl -sS --max-time 2 --fail --aws-sigv4 "aws:amz:$REGION:$service" \
            --user coinking-local:coinking-local "$@" "http://127.0.0.1:$port/" 2>/dev/null) ||
            return 1
        [[ $body == *"$expect"* ]]
    else
        # Old curl: any HTTP answer at all proves the server is up.
        [[ $(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$@" "http://127.0.0.1:$port/") != 000 ]]
    fi
}

# Kafka ApiVersions v0 over a plain socket: proves the broker speaks the protocol.
kafka_probe() {
    "$PYTHON" - "$1" <<'PY' 2>/dev/null
import socket, struct, sys

client = b"coinking-services"
request = struct.pack(">hhih", 18, 0, 0x434B, len(client)) + client
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as sock:
    sock.settimeout(2)
    sock.sendall(struct.pack(">i", len(request)) + request)

    def read(count):
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            if not chunk:
                sys.exit(1)
            data += chunk
        return data

    (size,) = struct.unpack(">i", read(4))
    correlation, error, api_count = struct.unpack(">ihi", read(size)[:10])
    sys.exit(0 if correlation == 0x434B and error == 0 and api_count > 0 else 1)
PY
}

probe() {
    local svc=$1 port
    port=$(port_of "$svc")
    case $svc in
        kafka) kafka_probe "$port" ;;
        dynamodb)
            http_probe dynamodb "$port" TableNames -X POST \
                -H 'Content-Type: application/x-amz-json-1.0' \
                -H 'X-Amz-Target: DynamoDB_20120810.ListTables' --data '{}'
            ;;
        kinesis)
            http_probe kinesis "$port" StreamNames -X POST \
                -H 'Content-Type: application/x-amz-json-1.1' \
                -H 'X-Amz-Target: Kinesis_20131202.ListStreams' --data '{}'
            ;;
        s3) http_probe s3 "$port" ListAllMyBucketsResult ;;
        redis) redis_probe "$port" ;;
    esac
}

# RESP PING over a plain socket: proves the server speaks the protocol.
redis_probe() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'PING\r\n' >&3
        IFS= read -r -t 2 reply <&3 || exit 1
        [[ $reply == "+PONG"* ]]
    ) 2>/dev/null
}

show_log_tail() {
    printf '%s\n' "---- last lines of $(log_file "$1") ----" >&2
    tail -n 30 "$(log_file "$1")" >&2 || true
    printf '%s\n' "----" >&2
}

wait_ready() {
    local svc=$1 pid=$2 start=$3 port deadline
    port=$(port_of "$svc")
    deadline=$((start + READY_TIMEOUT_S * 1000000))
    while ! probe "$svc"; do
        if ! alive "$pid"; then
            printf 'services: error: %s exited before answering on 127.0.0.1:%s\n' "$svc" "$port" >&2
            show_log_tail "$svc"
            return 1
        fi
        if (($(now_us) > deadline)); then
            printf 'services: error: %s (pid %s) did not answer on 127.0.0.1:%s within %ss\n' \
                "$svc" "$pid" "$port" "$READY_TIMEOUT_S" >&2
            show_log_tail "$svc"
            return 1
        fi
        sleep 0.2
    done
    log "$svc ready on 127.0.0.1:$port (pid $pid) in $(elapsed "$start")"
}

# Alive and not a zombie (an orphan whose exit nobody has collected yet counts as gone).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# TERM to every recorded PID at once, KILL to any still alive after the grace period.
stop_services() {
    local svc pid file start
    start=$(now_us)
    local names=() pids=()
    for svc in "$@"; do
        file=$(pid_file "$svc")
        if pid=$(our_pid "$svc"); then
            kill -TERM "$pid" 2>/dev/null || true
            names+=("$svc")
            pids+=("$pid")
        elif [[ -f $file ]]; then
            forget "$svc"
            log "$svc was not running (removed stale pid file)"
        else
            log "$svc not running"
        fi
    done
    local i deadline=$((start + STOP_GRACE_S * 1000000)) signal=TERM
    for i in "${!names[@]}"; do
        while alive "${pids[$i]}" && (($(now_us) < deadline)); do sleep 0.1; done
        if alive "${pids[$i]}"; then
            log "${names[$i]} (pid ${pids[$i]}) still running after ${STOP_GRACE_S}s: sending KILL"
            kill -KILL "${pids[$i]}" 2>/dev/null || true
            signal=KILL
            local kill_deadline=$(($(now_us) + 5000000))
            while alive "${pids[$i]}" && (($(now_us) < kill_deadline)); do sleep 0.1; done
            alive "${pids[$i]}" && die "${names[$i]} (pid ${pids[$i]}) survived KILL"
        fi
        forget "${names[$i]}"
        log "${names[$i]} stopped (pid ${pids[$i]}, $signal) after $(elapsed "$start")"
        signal=TERM
    done
}

# ---------------------------------------------------------------- commands

cmd_up() {
    local services=("$@") svc pid port
    install_for "${services[@]}"
    mkdir -p "$PID_DIR" "$LOG_DIR"

    # Check every port before starting anything, so a refusal leaves nothing behind.
    local to_start=()
    for svc in "${services[@]}"; do
        port=$(port_of "$svc")
        if pid=$(our_pid "$svc"); then
            local running_port
            running_port=$(recorded_port "$svc")
            if [[ -n $running_port && $running_port != "$port" ]]; then
                die "$svc is already running (pid $pid) on port $running_port, not $port: stop it with" \
                    "\`scripts/services.sh down $svc\` or use $(port_variable "$svc")=$running_port"
            fi
            log "$svc already running (pid $pid) on 127.0.0.1:$port"
            continue
        fi
        forget "$svc"
        if port_in_use "$port"; then
            printf 'services: error: port %s for %s is already taken by a process this script did not start:\n' \
                "$port" "$svc" >&2
            port_owner "$port" >&2
            die "stop it, or pick another port with $(port_variable "$svc")"
        fi
        to_start+=("$svc")
    done

    local started=() starts=() pids=()
    for svc in "${to_start[@]}"; do
        starts+=("$(now_us)")
        pid=$(launch "$svc")
        echo "$pid" >"$(pid_file "$svc")"
        port_of "$svc" >"$(port_file "$svc")"
        started+=("$svc")
        pids+=("$pid")
        log "$svc starting (pid $pid), log $(log_file "$svc")"
    done

    local i failed=false
    for i in "${!started[@]}"; do
        wait_ready "${started[$i]}" "${pids[$i]}" "${starts[$i]}" || failed=true
    done
    # Already-running services must answer too.
    for svc in "${services[@]}"; do
        [[ " ${started[*]} " == *" $svc "* ]] && continue
        if ! probe "$svc"; then
            printf 'services: error: %s is running but does not answer on 127.0.0.1:%s\n' \
                "$svc" "$(port_of "$svc")" >&2
            failed=true
        fi
    done
    if $failed; then
        if ((${#started[@]} > 0)); then stop_services "${started[@]}"; fi
        die "not every service came up (state in $SERVICES_DIR)"
    fi
    log "all up: ${services[*]}"
}

cmd_down() { stop_services "$@"; }

cmd_status() {
    local svc pid port
    for svc in "$@"; do
        port=$(port_of "$svc")
        if pid=$(our_pid "$svc"); then
            if probe "$svc"; then
                printf '%-9s running   pid %-8s 127.0.0.1:%s answering\n' "$svc" "$pid" "$port"
            else
                printf '%-9s running   pid %-8s 127.0.0.1:%s NOT answering (log %s)\n' \
                    "$svc" "$pid" "$port" "$(log_file "$svc")"
            fi
        elif [[ -f $(pid_file "$svc") ]]; then
            printf '%-9s stopped   (stale pid file %s)\n' "$svc" "$(pid_file "$svc")"
        elif port_in_use "$port"; then
            printf '%-9s stopped   (port %s is in use by a process this script did not start)\n' \
                "$svc" "$port"
        else
            printf '%-9s stopped\n' "$svc"
        fi
    done
}

cmd_env() {
    echo "export COINKING_AWS_REGION=$REGION"
    echo "export COINKING_KAFKA_BROKERS=127.0.0.1:$(port_of kafka)"
    echo "export COINKING_DYNAMODB_ENDPOINT=http://127.0.0.1:$(port_of dynamodb)"
    echo "export COINKING_KINESIS_ENDPOINT=http://127.0.0.1:$(port_of kinesis)"
    echo "export COINKING_S3_ENDPOINT=http://127.0.0.1:$(port_of s3)"
    echo "export COINKING_REDIS_URL=redis://127.0.0.1:$(port_of redis)/"
}

cmd_ports() {
    local svc variable port
    for svc in "$@"; do
        variable=$(port_variable "$svc")
        port=$(port_of "$svc")
        if [[ -z ${!variable:-} ]] && ! our_pid "$svc" >/dev/null && port_in_use "$port"; then
            port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
            log "default port $(default_port "$svc") for $svc is taken by another process: using $port" >&2
        fi
        echo "export $variable=$port"
    done
}

cmd_running() {
    local svc
    for svc in "$@"; do
        if our_pid "$svc" >/dev/null; then echo "$svc"; fi
    done
}

with_lock() {
    mkdir -p "$SERVICES_DIR"
    if command -v flock >/dev/null; then
        exec 9>"$SERVICES_DIR/.lock"
        flock -w 600 9 || die "another services.sh is busy in $SERVICES_DIR"
    fi
    "$@"
}

main() {
    local command=${1:-}
    [[ -n $command ]] || die "usage: $0 up|down|status|install|env|ports|running [service...]"
    shift
    local services=("$@")
    if ((${#services[@]} == 0)); then services=("${ALL_SERVICES[@]}"); fi
    local svc
    for svc in "${services[@]}"; do port_of "$svc" >/dev/null; done

    case $command in
        up) with_lock cmd_up "${services[@]}" ;;
        down) with_lock cmd_down "${services[@]}" ;;
        status) cmd_status "${services[@]}" ;;
        install) with_lock install_for "${services[@]}" ;;
        env) cmd_env ;;
        ports) cmd_ports "${services[@]}" ;;
        running) cmd_running "${services[@]}" ;;
        *) die "unknown command '$command' (expected up, down, status, install, env, ports or running)" ;;
    esac
}

main "$@"
