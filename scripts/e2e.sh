#!/usr/bin/env bash
# The end-to-end story of cmux-proxy, on this machine, without Docker: the compiled proxy and the
# LD_PRELOAD shim in front of real servers (python http.server, PostgreSQL, a Bun WebSocket app, a
# TCP echo) running in workspace directories, checked with real clients (curl, psql, headless
# Chromium). One line per step; the first failure stops the run with the reason and the logs that
# explain it; every process started here is stopped on exit. All traffic stays on 127.0.0.0/8.
#
#   scripts/e2e.sh                       # as root: installs postgresql/chromium with apt-get if missing
#   STRESS_N=8 scripts/e2e.sh            # fewer stress workspaces
#
# Settings (environment):
#   STRESS_N=32  STRESS_PORT=3200  STRESS_CONC=16   stress workspaces, their port, parallelism
#   E2E_HTTP_PORT=3000  E2E_WS_PORT=3100  E2E_TCP_PORT=3101  E2E_PG_PORT=5432
#                                                   the fixed ports the workspaces share
#   E2E_DIAG_PORT=3102                              the shim-less server the 502 page diagnoses
#   NO_COLOR=1                                      plain output
set -Eeuo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
# shellcheck source=scripts/e2e/lib.sh
source scripts/e2e/lib.sh
RUN_T0=$(now_us)

STRESS_N=${STRESS_N:-32}
STRESS_PORT=${STRESS_PORT:-3200}
STRESS_CONC=${STRESS_CONC:-16}
HTTP_PORT=${E2E_HTTP_PORT:-3000}
WS_PORT=${E2E_WS_PORT:-3100}
TCP_PORT=${E2E_TCP_PORT:-3101}
PG_PORT=${E2E_PG_PORT:-5432}
DIAG_PORT=${E2E_DIAG_PORT:-3102}

for setting in STRESS_N:1:65535 STRESS_CONC:1:1024 STRESS_PORT:1:65535 HTTP_PORT:1:65535 \
  WS_PORT:1:65535 TCP_PORT:1:65535 PG_PORT:1:65535 DIAG_PORT:1:65535; do
  IFS=: read -r name lo hi <<<"$setting"
  value=${!name}
  [[ $value =~ ^[0-9]+$ ]] && ((value >= lo && value <= hi)) || fail "$name=\"$value\" (expected a number from $lo to $hi)"
done
[[ $(printf '%s\n' "$HTTP_PORT" "$WS_PORT" "$TCP_PORT" "$PG_PORT" "$DIAG_PORT" | sort -u | wc -l) == 5 ]] ||
  fail "E2E_HTTP_PORT, E2E_WS_PORT, E2E_TCP_PORT, E2E_PG_PORT and E2E_DIAG_PORT must differ"

# Nothing from the caller's shell may steer the shim.
unset LD_PRELOAD CMUX_WORKSPACE_INTERNAL CMUX_PRELOAD_DISABLE CMUX_PRELOAD_LOG

ROOT=''
PG_DATA=()
cleanup() {
  local status=$? pids data
  trap - ERR
  set +e
  pids=("${!TRACKED[@]}")
  ((${#pids[@]} == 0)) || stop_bg "${pids[@]}"
  for data in "${PG_DATA[@]}"; do stop_postgres "$data" & done
  wait
  if [[ -n $ROOT ]]; then
    if ((status != 0)) && [[ -d $ROOT/logs ]]; then
      mkdir -p "$REPO/e2e-artifacts" && cp -r "$ROOT/logs" "$REPO/e2e-artifacts/logs"
      printf '%sall logs of this run: e2e-artifacts/logs/%s\n' "$DIM" "$RESET" >&2
    fi
    rm -rf "$ROOT"
  fi
  if ((status == 0)); then
    printf '%s%s✔ end-to-end story passed in %s%s\n' "$BOLD" "$GREEN" "$(since "$RUN_T0")" "$RESET"
  fi
  exit "$status"
}
trap cleanup EXIT
interrupted() {
  printf '%s✘ %sinterrupted by SIG%s%s\n' "$RED" "${STEP:+$STEP: }" "$1" "$RESET" >&2
  exit "$2"
}
trap 'interrupted INT 130' INT
trap 'interrupted TERM 143' TERM
trap 'fail "unexpected failure (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

# e2e-artifacts/ holds only this run's output: the screenshot, and the logs if it fails.
rm -rf "$REPO/e2e-artifacts/logs" "$REPO/e2e-artifacts/browser-workspace-a.png" "$REPO/e2e-artifacts/error-page-502.png" \
  "$REPO/e2e-artifacts/admin-page.png"
# The temp root must be traversable by the postgres user, and must not itself be inside a directory
# named workspace-* (the shim would pick that one).
ROOT=$(mktemp -d /tmp/cmux-e2e.XXXXXX)
chmod 755 "$ROOT"
LOGS=$ROOT/logs
mkdir -p "$LOGS"

# --- helpers for the story -------------------------------------------------------------------------

SHIM=$REPO/ldpreload/libworkspace_net.so

# make_ws <workspace> <content>: <root>/<workspace>/app, whose index.html is <content>. Servers
# start in app/, one level below the workspace directory, so the shim has to walk up to find it.
make_ws() {
  mkdir -p "$ROOT/$1/app"
  printf '%s' "$2" >"$ROOT/$1/app/index.html"
}

# in_ws <workspace> <command...>: run with the shim, from inside the workspace.
in_ws() {
  local ws=$1
  shift
  (cd "$ROOT/$ws/app" && exec env LD_PRELOAD="$SHIM" "$@")
}

# start_in_ws <name> <workspace> <command...>: a background server inside the workspace.
start_in_ws() {
  start_bg "$1" "$LOGS/$1.log" "$ROOT/$2/app" env LD_PRELOAD="$SHIM" "${@:3}"
}

# http [curl args...]: sets CODE and BODY (first 200 bytes); CURL_RC is curl's exit status.
http() {
  rm -f "$ROOT/body"
  CURL_RC=0
  CODE=$("${CURL_PREFIX[@]}" curl -sS --max-time 10 -o "$ROOT/body" -w '%{http_code}' "$@" 2>"$ROOT/curl.err") || CURL_RC=$?
  BODY=$(head -c 200 "$ROOT/body" 2>/dev/null || true)
}
CURL_PREFIX=()

expect_body() {
  local want=$1
  shift
  http "$@"
  ((CURL_RC == 0)) || fail "curl $* failed (exit $CURL_RC): $(cat "$ROOT/curl.err")"
  [[ $CODE == 200 && $BODY == "$want" ]] || fail "expected 200 \"$want\", got $CODE \"$BODY\" from curl $*"
}

expect_status() {
  local want=$1
  shift
  http "$@"
  ((CURL_RC == 0)) || fail "curl $* failed (exit $CURL_RC): $(cat "$ROOT/curl.err")"
  [[ $CODE == "$want" ]] || fail "expected $want, got $CODE \"$BODY\" from curl $*"
}

# Set http_args to send a request through the proxy to <workspace> <port>, by header or by Host.
proxy_by_header() { http_args=(-H "X-Cmux-Port-Internal: $2" -H "X-Cmux-Workspace-Internal: $1" "http://127.0.0.1:$PROXY_PORT/"); }
proxy_by_host() { http_args=("http://$1-$2.localhost:$PROXY_PORT/"); }

# port_in_use <workspace> <port>: something already accepts on the workspace's 127.0.0.1:<port>.
port_in_use() {
  in_ws "$1" bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$2" 2>/dev/null
}

ready_http() { in_ws "$1" curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$2/"; }
ready_tcp() { port_in_use "$1" "$2"; }

# PostgreSQL runs as the postgres user when we are root (it refuses to run as root).
AS_PG=()
((EUID != 0)) || AS_PG=(runuser -u postgres --)

stop_postgres() {
  [[ -f $1/postmaster.pid ]] || return 0
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$1" -m fast -w -t 10 stop >/dev/null 2>&1 ||
    kill -KILL "$(head -n 1 "$1/postmaster.pid")" 2>/dev/null || true
}

psql_in() {
  local ws=$1
  shift
  in_ws "$ws" env PGCONNECT_TIMEOUT=5 timeout 20 "$PG_BIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -Atq "$@"
}

# apt_install <package>: only as root with apt-get; refreshes the package lists once if needed.
apt_install() {
  local log=$LOGS/apt-$1.log
  ((EUID == 0)) && command -v apt-get >/dev/null || fail "$1 is missing: install it (apt-get install -y $1)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >"$log" 2>&1 ||
    { apt-get update -q >>"$log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >>"$log" 2>&1; } ||
    fail "apt-get install -y $1 failed" "$log"
}

# --- 0. tools, build, proxy ------------------------------------------------------------------------

note "cmux-proxy end-to-end story (temp root $ROOT)"

step "tools: bun, curl, python3, make, gcc, PostgreSQL, Chromium, playwright-core"
for tool in bun curl python3 make gcc setsid timeout; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
((EUID != 0)) || command -v runuser >/dev/null || fail "runuser (util-linux) is not installed"
pg_bin_dir() { find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1; }
PG_BIN=$(pg_bin_dir)
[[ -n $PG_BIN && -x $PG_BIN/initdb ]] || { apt_install postgresql; PG_BIN=$(pg_bin_dir); }
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl && -x $PG_BIN/psql ]] || fail "no initdb/pg_ctl/psql under /usr/lib/postgresql/*/bin"
((EUID != 0)) || id postgres >/dev/null 2>&1 || fail "running as root but there is no postgres user to run PostgreSQL as"
[[ -x /usr/bin/chromium ]] || apt_install chromium
[[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing after installing chromium"
bun -e 'await import("playwright-core")' >"$LOGS/playwright-core.log" 2>&1 ||
  fail "playwright-core is not installed: run \`bun install\` (it is a devDependency)" "$LOGS/playwright-core.log"
ok "bun $(bun --version), $(curl --version | head -n 1 | cut -d' ' -f1-2), $(python3 --version), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"

# From here on only loopback traffic: no HTTP proxy of the caller's may see it.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

step "build the shim: make -C ldpreload"
make -C ldpreload >"$LOGS/make-ldpreload.log" 2>&1 || fail "make -C ldpreload failed" "$LOGS/make-ldpreload.log"
[[ -f $SHIM ]] || fail "make -C ldpreload did not produce $SHIM"
ok "ldpreload/libworkspace_net.so"

step "build the binary: bun run build (this machine's target only)"
# Into the temp root, not dist/: a one-target build there would replace a full release build.
bun run build --target "$(uname -m)" --binaries-only --outdir "$ROOT/dist" >"$LOGS/build.log" 2>&1 ||
  fail "bun run build failed" "$LOGS/build.log"
BIN=$(find "$ROOT/dist" -maxdepth 1 -name 'cmux-proxy-linux-*' -type f | head -n 1)
[[ -n $BIN && -x $BIN ]] || fail "bun run build produced no cmux-proxy-linux-* binary" "$LOGS/build.log"
ok "${BIN##*/}, $(du -h "$BIN" | cut -f1)"

step "start the compiled proxy on a free loopback port"
# --workspace-root: the admin page (step 9) names the hashed workspaces by their directories here.
start_bg proxy "$LOGS/proxy.log" "$REPO" "$BIN" --listen 127.0.0.1:0 --workspace-root "$ROOT"
PROXY_PID=$BG_PID
wait_until 10 "$PROXY_PID" "$LOGS/proxy.log" "proxy start" grep -q 'listening on 127\.0\.0\.1:' "$LOGS/proxy.log"
PROXY_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$LOGS/proxy.log" | head -n 1)
[[ -n $PROXY_PORT ]] || fail "no port in the proxy's listening line" "$LOGS/proxy.log"
ok "$(grep -o 'cmux-proxy .*listening on [^ ]*' "$LOGS/proxy.log" | head -n 1)"

step "the fixed ports are free in every workspace this story uses"
make_ws workspace-a ok-A
make_ws workspace-b ok-B
for ((i = 1; i <= STRESS_N; i++)); do make_ws "workspace-$i" "ok-$i"; done
clash() { fail "$1's 127.0.0.1:$2 already accepts connections (another run of this story, or a host service on 0.0.0.0:$2?); free it or set $3 to another port"; }
for ws in workspace-a workspace-b; do
  port_in_use "$ws" "$HTTP_PORT" && clash "$ws" "$HTTP_PORT" E2E_HTTP_PORT
  port_in_use "$ws" "$PG_PORT" && clash "$ws" "$PG_PORT" E2E_PG_PORT
done
port_in_use workspace-a "$WS_PORT" && clash workspace-a "$WS_PORT" E2E_WS_PORT
port_in_use workspace-a "$TCP_PORT" && clash workspace-a "$TCP_PORT" E2E_TCP_PORT
port_in_use workspace-a "$DIAG_PORT" && clash workspace-a "$DIAG_PORT" E2E_DIAG_PORT
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$DIAG_PORT" 2>/dev/null &&
  fail "127.0.0.1:$DIAG_PORT already accepts connections outside the workspaces; free it or set E2E_DIAG_PORT to another port"
for ((i = 1; i <= STRESS_N; i++)); do
  port_in_use "workspace-$i" "$STRESS_PORT" && clash "workspace-$i" "$STRESS_PORT" STRESS_PORT
done
ok "$HTTP_PORT, $PG_PORT in workspace-a/b; $WS_PORT, $TCP_PORT, $DIAG_PORT in workspace-a; $DIAG_PORT outside; $STRESS_PORT in workspace-1..$STRESS_N"

# --- 1. one server, isolated ---------------------------------------------------------------------

step "1. workspace-a: python3 -m http.server $HTTP_PORT --bind 127.0.0.1 answers ok-A inside workspace-a"
start_in_ws http-a workspace-a python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1
HTTP_A_PID=$BG_PID
wait_until 20 "$BG_PID" "$LOGS/http-a.log" "http.server in workspace-a" ready_http workspace-a "$HTTP_PORT"
CURL_PREFIX=(in_ws workspace-a)
expect_body ok-A "http://127.0.0.1:$HTTP_PORT/"
CURL_PREFIX=()
ok "$(head -n 1 "$LOGS/http-a.log")"

step "1. workspace-b: 127.0.0.1:$HTTP_PORT is refused"
CURL_PREFIX=(in_ws workspace-b)
http "http://127.0.0.1:$HTTP_PORT/"
CURL_PREFIX=()
((CURL_RC == 7)) || fail "expected curl to be refused (exit 7), got exit $CURL_RC, status $CODE \"$BODY\""
ok "$(cat "$ROOT/curl.err")"

# --- 2. routing to it through the proxy ------------------------------------------------------------

step "2. proxy, by header: workspace-a/$HTTP_PORT -> ok-A"
proxy_by_header workspace-a "$HTTP_PORT" && expect_body ok-A "${http_args[@]}" && ok
step "2. proxy, by header: workspace-b/$HTTP_PORT -> 502"
proxy_by_header workspace-b "$HTTP_PORT" && expect_status 502 "${http_args[@]}" && ok "$BODY"
step "2. proxy, by Host: workspace-a-$HTTP_PORT.localhost -> ok-A"
proxy_by_host workspace-a "$HTTP_PORT" && expect_body ok-A "${http_args[@]}" && ok
step "2. proxy, by Host: workspace-b-$HTTP_PORT.localhost -> 502"
proxy_by_host workspace-b "$HTTP_PORT" && expect_status 502 "${http_args[@]}" && ok "$BODY"

# --- 3. the same port in a second workspace --------------------------------------------------------

step "3. workspace-b starts its own server on port $HTTP_PORT; each route answers its own content"
start_in_ws http-b workspace-b python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1
wait_until 20 "$BG_PID" "$LOGS/http-b.log" "http.server in workspace-b" ready_http workspace-b "$HTTP_PORT"
proxy_by_header workspace-a "$HTTP_PORT" && expect_body ok-A "${http_args[@]}"
proxy_by_header workspace-b "$HTTP_PORT" && expect_body ok-B "${http_args[@]}"
proxy_by_host workspace-a "$HTTP_PORT" && expect_body ok-A "${http_args[@]}"
proxy_by_host workspace-b "$HTTP_PORT" && expect_body ok-B "${http_args[@]}"
ok "header and Host: workspace-a -> ok-A, workspace-b -> ok-B"

# --- 4. the same port twice in one workspace -------------------------------------------------------

step "4. a second server on port $HTTP_PORT in workspace-a fails with \"Address already in use\""
status=0
in_ws workspace-a timeout 20 python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 >"$LOGS/http-a-second.log" 2>&1 || status=$?
((status != 124)) || fail "the second server started and kept running" "$LOGS/http-a-second.log"
((status != 0)) && grep -q 'Address already in use' "$LOGS/http-a-second.log" ||
  fail "expected \"Address already in use\" (exit $status)" "$LOGS/http-a-second.log"
proxy_by_header workspace-a "$HTTP_PORT" && expect_body ok-A "${http_args[@]}"
ok "$(grep -o '[^:]*Address already in use' "$LOGS/http-a-second.log" | head -n 1 | sed 's/^ *//'); the first one still answers ok-A"

# --- 5. stress ---------------------------------------------------------------------------------------

step "5. stress: $STRESS_N workspaces each start a server on port $STRESS_PORT ($STRESS_CONC at a time)"
STRESS_PIDS=()
for ((first = 1; first <= STRESS_N; first += STRESS_CONC)); do
  last=$((first + STRESS_CONC - 1 < STRESS_N ? first + STRESS_CONC - 1 : STRESS_N))
  for ((i = first; i <= last; i++)); do
    start_in_ws "stress-$i" "workspace-$i" python3 -m http.server "$STRESS_PORT" --bind 127.0.0.1
    STRESS_PIDS[i]=$BG_PID
  done
  for ((i = first; i <= last; i++)); do
    wait_until 60 "${STRESS_PIDS[i]}" "$LOGS/stress-$i.log" "http.server in workspace-$i" \
      ready_http "workspace-$i" "$STRESS_PORT"
  done
done
ok "all $STRESS_N listening"

step "5. stress: each answers its own ok-<i> through the proxy by header ($STRESS_CONC requests in parallel)"
mkdir -p "$ROOT/stress"
seq 1 "$STRESS_N" | xargs -P "$STRESS_CONC" -I{} curl -sS --max-time 20 \
  -H "X-Cmux-Port-Internal: $STRESS_PORT" -H "X-Cmux-Workspace-Internal: workspace-{}" \
  -o "$ROOT/stress/{}.body" -w '{} %{http_code}\n' "http://127.0.0.1:$PROXY_PORT/" \
  >"$ROOT/stress/codes" 2>"$LOGS/stress-curl.log" || true
bad=()
for ((i = 1; i <= STRESS_N; i++)); do
  code=$(awk -v i="$i" '$1 == i { print $2 }' "$ROOT/stress/codes")
  body=$(head -c 100 "$ROOT/stress/$i.body" 2>/dev/null || true)
  [[ $code == 200 && $body == "ok-$i" ]] || bad+=("workspace-$i: ${code:-no answer} \"$body\"")
done
((${#bad[@]} == 0)) || fail "${#bad[@]} of $STRESS_N wrong: ${bad[*]:0:5}" "$LOGS/stress-curl.log"
ok "$STRESS_N of $STRESS_N"

step "5. stress: spot check by Host"
spots=$(printf '%s\n' 1 $(((STRESS_N + 1) / 2)) "$STRESS_N" | sort -un | tr '\n' ' ')
for i in $spots; do
  proxy_by_host "workspace-$i" "$STRESS_PORT" && expect_body "ok-$i" "${http_args[@]}"
done
ok "workspace-{${spots% }}-$STRESS_PORT.localhost"
stop_bg "${STRESS_PIDS[@]}"

# --- 6. PostgreSQL -----------------------------------------------------------------------------------

PG_USER=postgres
((EUID == 0)) || PG_USER=$(id -un)
step "6. PostgreSQL: initdb a cluster in workspace-a and one in workspace-b (as $PG_USER)"
# The shim is loaded by the postgres user, who may not be able to read the checkout (/root/...).
PG_SHIM=$ROOT/libworkspace_net.so
cp "$SHIM" "$PG_SHIM"
chmod 644 "$PG_SHIM"
initdb_pids=()
for ws in workspace-a workspace-b; do
  mkdir -p "$ROOT/$ws/pg"
  ((EUID != 0)) || chown postgres "$ROOT/$ws/pg"
  start_bg "initdb-$ws" "$LOGS/initdb-$ws.log" "$ROOT/$ws/app" \
    "${AS_PG[@]}" "$PG_BIN/initdb" -D "$ROOT/$ws/pg/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C
  initdb_pids+=("$BG_PID")
done
for pid in "${initdb_pids[@]}"; do
  log=$LOGS/${TRACKED[$pid]}.log
  wait_exit "$pid" 90 || fail "initdb did not finish within 90s" "$log"
  wait "$pid" || fail "initdb failed" "$log"
  unset "TRACKED[$pid]"
done
ok "$("$PG_BIN/initdb" --version)"

step "6. PostgreSQL: both clusters listen on port $PG_PORT through the shim"
for ws in workspace-a workspace-b; do
  data=$ROOT/$ws/pg/data
  # Only TCP on loopback: no Unix socket (both clusters would want the same .s.PGSQL.<port>), and
  # an explicit pg_hba.conf because initdb's default one names ::1/128, which the shim resolves to
  # the workspace's IPv4 address, a mask PostgreSQL then refuses.
  printf 'host all all 127.0.0.0/8 trust\n' >"$data/pg_hba.conf"
  touch "$LOGS/postgres-$ws.log"
  ((EUID != 0)) || chown postgres "$data/pg_hba.conf" "$LOGS/postgres-$ws.log"
  PG_DATA+=("$data")
  (cd "$ROOT/$ws/app" && "${AS_PG[@]}" env LD_PRELOAD="$PG_SHIM" "$PG_BIN/pg_ctl" -D "$data" \
    -l "$LOGS/postgres-$ws.log" -w -t 30 \
    -o "-p $PG_PORT -c listen_addresses=localhost -c unix_socket_directories='' -c fsync=off" start) \
    >"$LOGS/pg_ctl-$ws.log" 2>&1 || fail "pg_ctl start in $ws failed" "$LOGS/pg_ctl-$ws.log" "$LOGS/postgres-$ws.log"
done
listening=$(grep -ho 'listening on IPv4 address "[0-9.]*", port [0-9]*' "$LOGS"/postgres-workspace-{a,b}.log |
  sed 's/listening on IPv4 address "\(.*\)", port \(.*\)/\1:\2/' | paste -sd' ')
ok "$listening"

step "6. PostgreSQL: each workspace writes its own row through 127.0.0.1:$PG_PORT"
for ws in workspace-a workspace-b; do
  psql_in "$ws" -c "create table owner (name text); insert into owner values ('row-from-$ws')" \
    >"$LOGS/psql-$ws.log" 2>&1 || fail "psql in $ws failed" "$LOGS/psql-$ws.log" "$LOGS/postgres-$ws.log"
done
ok

step "6. PostgreSQL: each workspace sees only its own row"
seen=()
for ws in workspace-a workspace-b; do
  rows=$(psql_in "$ws" -c "select string_agg(name, ',' order by name) || ' on ' || host(inet_server_addr()) from owner" \
    2>"$LOGS/psql-$ws.log") || fail "psql in $ws failed" "$LOGS/psql-$ws.log"
  [[ $rows == "row-from-$ws on "* ]] || fail "$ws sees \"$rows\", expected only row-from-$ws"
  seen+=("$ws: $rows")
done
ok "${seen[0]}; ${seen[1]}"

# --- 7. WebSocket and CONNECT through the proxy ------------------------------------------------------

step "7. workspace-a starts a Bun WebSocket app on $WS_PORT and a TCP echo on $TCP_PORT"
start_in_ws ws-app workspace-a bun "$REPO/scripts/e2e/ws-page-server.ts" "$WS_PORT" workspace-a
wait_until 20 "$BG_PID" "$LOGS/ws-app.log" "WebSocket app in workspace-a" ready_http workspace-a "$WS_PORT"
start_in_ws tcp-echo workspace-a python3 "$REPO/scripts/e2e/tcp-echo.py" "$TCP_PORT"
wait_until 20 "$BG_PID" "$LOGS/tcp-echo.log" "TCP echo in workspace-a" ready_tcp workspace-a "$TCP_PORT"
ok "$(head -n 1 "$LOGS/ws-app.log"); $(head -n 1 "$LOGS/tcp-echo.log")"

step "7. WebSocket through the proxy by header: text and binary messages echoed byte for byte"
run_bg_bounded 30 ws-check "$LOGS/ws-check.log" "$REPO" bun scripts/e2e/ws-check.ts "$PROXY_PORT" workspace-a "$WS_PORT" ||
  fail "WebSocket check failed" "$LOGS/ws-check.log" "$LOGS/ws-app.log" "$LOGS/proxy.log"
ok "$(tail -n 1 "$LOGS/ws-check.log")"

step "7. CONNECT through the proxy to the TCP echo: bytes checked"
run_bg_bounded 30 connect-check "$LOGS/connect-check.log" "$REPO" bun scripts/e2e/connect-check.ts "$PROXY_PORT" workspace-a "$TCP_PORT" ||
  fail "CONNECT check failed" "$LOGS/connect-check.log" "$LOGS/tcp-echo.log" "$LOGS/proxy.log"
ok "$(tail -n 1 "$LOGS/connect-check.log")"

step "7. curl -p -x http://127.0.0.1:$PROXY_PORT --proxy-header 'X-Cmux-Port-Internal: ...': GET and a 1 MiB POST"
head -c $((1 << 20)) /dev/urandom >"$ROOT/blob"
tunnel=(-p -x "http://127.0.0.1:$PROXY_PORT")
expect_body ok-B "${tunnel[@]}" --proxy-header "X-Cmux-Port-Internal: $HTTP_PORT" \
  --proxy-header "X-Cmux-Workspace-Internal: workspace-b" "http://127.0.0.1:$HTTP_PORT/"
curl -sS --max-time 20 "${tunnel[@]}" --proxy-header "X-Cmux-Port-Internal: $WS_PORT" \
  --proxy-header "X-Cmux-Workspace-Internal: workspace-a" -H 'Content-Type: application/octet-stream' \
  --data-binary @"$ROOT/blob" -o "$ROOT/blob.back" "http://127.0.0.1:$WS_PORT/echo" 2>"$ROOT/curl.err" ||
  fail "curl through the tunnel failed: $(cat "$ROOT/curl.err")" "$LOGS/proxy.log"
cmp -s "$ROOT/blob" "$ROOT/blob.back" || fail "the 1 MiB POST came back different ($(stat -c %s "$ROOT/blob.back") bytes)"
ok "GET ok-B from workspace-b; 1048576 bytes echoed intact from workspace-a"

# --- 8. a real browser -------------------------------------------------------------------------------

BROWSER_URL="http://workspace-a-$WS_PORT.localhost:$PROXY_PORT/"
step "8. headless Chromium opens $BROWSER_URL; the page's WebSocket echo shows up in the DOM"
mkdir -p "$REPO/e2e-artifacts"
run_bg_bounded 90 browser "$LOGS/browser.log" "$REPO" \
  bun scripts/e2e/browser.ts "$BROWSER_URL" workspace-a "$REPO/e2e-artifacts/browser-workspace-a.png" ||
  fail "browser check failed" "$LOGS/browser.log" "$LOGS/ws-app.log" "$LOGS/proxy.log"
ok "$(tail -n 1 "$LOGS/browser.log" | sed "s|$REPO/||")"

# --- 9. a 502 that says why, in a browser --------------------------------------------------------------

DIAG_URL="http://workspace-a-$DIAG_PORT.localhost:$PROXY_PORT/"
DIAG_NOTE="127.0.0.1:$DIAG_PORT has a listener: a server started without the shim?"
step "9. a server started without the shim on 127.0.0.1:$DIAG_PORT: curl and Chromium get a 502 that says so"
start_bg http-noshim "$LOGS/http-noshim.log" "$ROOT" python3 -m http.server "$DIAG_PORT" --bind 127.0.0.1
wait_until 10 "$BG_PID" "$LOGS/http-noshim.log" "shim-less server start" curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$DIAG_PORT/"
http "$DIAG_URL"
[[ $CODE == 502 ]] && grep -qF "$DIAG_NOTE" "$ROOT/body" ||
  fail "curl $DIAG_URL: expected a 502 line with \"$DIAG_NOTE\", got $CODE \"$(cat "$ROOT/body")\"" "$LOGS/proxy.log"
run_bg_bounded 90 error-page "$LOGS/error-page.log" "$REPO" \
  bun scripts/e2e/error-page.ts "$DIAG_URL" "$DIAG_NOTE" "$REPO/e2e-artifacts/error-page-502.png" ||
  fail "the browser's 502 page check failed" "$LOGS/error-page.log" "$LOGS/proxy.log"
ok "$(tail -n 1 "$LOGS/error-page.log" | sed "s|$REPO/||")"

# --- 10. the admin page ------------------------------------------------------------------------------

ADMIN_URL="http://cmux.localhost:$PROXY_PORT/"
step "10. ${ADMIN_URL}api/listeners lists workspace-a's server on $HTTP_PORT with its pid and link"
http -H "Host: cmux.localhost:$PROXY_PORT" "http://127.0.0.1:$PROXY_PORT/api/listeners"
((CURL_RC == 0)) && [[ $CODE == 200 ]] || fail "expected 200 from /api/listeners, got $CODE (curl exit $CURL_RC)" "$LOGS/proxy.log"
listed=$(bun -e '
  const [file, port, pid] = process.argv.slice(1);
  const l = JSON.parse(await Bun.file(file).text());
  const ws = l.groups.find((g) => g.name === "workspace-a");
  const e = ws?.listeners.find((x) => x.port === Number(port));
  if (!e || e.pid !== Number(pid)) { console.log("missing: " + JSON.stringify(ws ?? l.groups.map((g) => g.name))); process.exit(1); }
  console.log(`${e.url} (pid ${e.pid}: ${e.command})`);
' "$ROOT/body" "$HTTP_PORT" "$HTTP_A_PID" 2>&1) ||
  fail "workspace-a:$HTTP_PORT is not listed as expected: $listed" "$LOGS/proxy.log"
ok "$listed"

step "10. headless Chromium opens $ADMIN_URL, sees a server appear and go without a reload, follows workspace-a's link"
run_bg_bounded 90 admin-page "$LOGS/admin-page.log" "$REPO" \
  bun scripts/e2e/admin-page.ts "$ADMIN_URL" workspace-a "$HTTP_PORT" ok-A "$REPO/e2e-artifacts/admin-page.png" ||
  fail "admin page check failed" "$LOGS/admin-page.log" "$LOGS/proxy.log"
ok "$(tail -n 1 "$LOGS/admin-page.log" | sed "s|$REPO/||")"

# --- the proxy itself --------------------------------------------------------------------------------

step "the proxy kept running throughout and exits 0 on SIGTERM"
alive "$PROXY_PID" || fail "the proxy died during the run" "$LOGS/proxy.log"
kill -TERM "$PROXY_PID"
wait_exit "$PROXY_PID" 15 || fail "the proxy did not exit within 15s of SIGTERM" "$LOGS/proxy.log"
status=0
wait "$PROXY_PID" || status=$?
unset "TRACKED[$PROXY_PID]"
((status == 0)) || fail "the proxy exited $status on SIGTERM" "$LOGS/proxy.log"
ok "exit 0 after $(grep -c . "$LOGS/proxy.log") log lines"
