# shellcheck shell=bash
# Plumbing for scripts/e2e.sh (sourced, not run): one coloured line per step, failing fast with the
# logs that explain why, processes that are always stopped, and waits that are always bounded.

if [[ -z ${NO_COLOR:-} ]]; then
  GREEN=$'\e[32m' RED=$'\e[31m' DIM=$'\e[2m' BOLD=$'\e[1m' RESET=$'\e[0m'
else
  GREEN='' RED='' DIM='' BOLD='' RESET=''
fi

STEP=''
STEP_T0=0

now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

# Microseconds since $1, as "1.23s".
since() {
  local us=$(($(now_us) - $1))
  printf '%d.%02ds' $((us / 1000000)) $((us % 1000000 / 10000))
}

step() {
  STEP=$1
  STEP_T0=$(now_us)
}

ok() {
  printf '%s✔%s %s%s %s(%s)%s\n' "$GREEN" "$RESET" "$STEP" "${1:+ ${DIM}— $1${RESET}}" "$DIM" "$(since "$STEP_T0")" "$RESET"
  STEP=''
}

# fail <reason> [log files to show]: one red line, then the tail of each log, then exit (the EXIT
# trap stops everything).
fail() {
  local reason=$1 log
  shift
  printf '%s✘ %s%s%s\n' "$RED" "${STEP:+$STEP: }" "$reason" "$RESET" >&2
  for log in "$@"; do
    [[ -s $log ]] || continue
    printf '%s  --- last lines of %s%s\n' "$DIM" "${log##*/}" "$RESET" >&2
    tail -n 15 "$log" | sed 's/^/  | /' >&2
  done
  exit 1
}

note() { printf '%s%s%s\n' "$BOLD" "$1" "$RESET"; }

# --- processes ---------------------------------------------------------------------------------
# Every background process gets its own process group (setsid), so stopping it also stops whatever
# it started (Chromium's helpers, for one). TRACKED maps pid -> name until the process is stopped.
declare -A TRACKED=()
BG_PID=''

# start_bg <name> <log> <dir> <command...>: start in <dir>, output to <log>; sets BG_PID.
start_bg() {
  local name=$1 log=$2 dir=$3
  shift 3
  (cd "$dir" && exec setsid "$@") >"$log" 2>&1 </dev/null &
  BG_PID=$!
  TRACKED[$BG_PID]=$name
}

# Running and not a zombie (kill -0 also succeeds for an exited child nobody has waited for yet).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# wait_exit <pid> <seconds>: true once the process has exited, false if it still runs at the deadline.
wait_exit() {
  local deadline=$(($(now_us) + $2 * 1000000))
  while alive "$1"; do
    (($(now_us) < deadline)) || return 1
    sleep 0.05
  done
}

# stop_bg <pid...>: TERM each process group, KILL what is left after 5 s, reap.
stop_bg() {
  local pid
  for pid; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid; do
    wait_exit "$pid" 5 || kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "TRACKED[$pid]"
  done
}

# run_bg_bounded <seconds> <name> <log> <dir> <command...>: run to completion in its own process
# group; returns the command's status, fails the step if it outlives the deadline.
run_bg_bounded() {
  local secs=$1 name=$2 log=$3 pid status=0
  start_bg "$name" "$log" "${@:4}"
  pid=$BG_PID
  if ! wait_exit "$pid" "$secs"; then
    stop_bg "$pid"
    fail "$name did not finish within ${secs}s" "$log"
  fi
  wait "$pid" || status=$?
  unset "TRACKED[$pid]"
  return "$status"
}

# wait_until <seconds> <pid> <log> <what> <command...>: poll <command> until it succeeds; fail
# early if <pid> exits (showing its log), or at the deadline.
wait_until() {
  local secs=$1 pid=$2 log=$3 what=$4
  shift 4
  local deadline=$(($(now_us) + secs * 1000000))
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || fail "$what: process ${TRACKED[$pid]:-$pid} exited" "$log"
    (($(now_us) < deadline)) || fail "$what: not ready within ${secs}s" "$log"
    sleep 0.05
  done
}
