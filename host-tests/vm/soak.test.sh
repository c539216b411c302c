#!/usr/bin/env bash
# Soak: VMODEM_SOAK_CYCLES (default 200) firmware resets fired through the
# control socket (`vmodem ctl reset`, the same fault a scenario's reset step
# fires), each one followed by ModemManager dropping the modem and detecting
# it again as a new modem object (a higher D-Bus index). Then vmodem's
# resident memory, open file descriptors and threads against a baseline
# taken after VMODEM_SOAK_WARMUP (default 20) cycles, once the allocator has
# settled (docs/vm-tier.md): RSS may grow by at most 10 %, fds and threads
# not at all.
#
# What keeps a cycle short under TCG (measured in docs/vm-tier.md, "The
# soak"):
# - udev port hints for 1199:9041 (QCDM on interface 0, GPS on 2, primary
#   AT on 3), so ModemManager does not AT-probe the DM and NMEA ports on
#   every re-enumeration;
# - a profile without the boot-loader failsafe (five resets within five
#   minutes would turn the module into 1199:9040) and with a fixed reset
#   down time of VMODEM_SOAK_DOWN_MS (default 200 ms);
# - ModemManager at info level, and its modem list watched through one
#   `mmcli -M` instead of polling `mmcli -L`.
# Each cycle may take 180 s, the whole loop VMODEM_SOAK_BUDGET_S (default
# 1800 s); past either the soak fails instead of eating the tier's timeout.
# Needs target/release/vmodem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need jq || true
bin="$PWD/target/release/vmodem"
sock=/tmp/vmodem-soak.sock
ev="$VM_RESULTS/soak.jsonl"
profile=/tmp/vmodem-soak-profile.toml
fifo=/tmp/vmodem-soak-monitor
rules=/run/udev/rules.d/78-vmodem-soak-port-hints.rules
cycles="${VMODEM_SOAK_CYCLES:-200}"
warmup="${VMODEM_SOAK_WARMUP:-20}"
budget_s="${VMODEM_SOAK_BUDGET_S:-1800}"
down_ms="${VMODEM_SOAK_DOWN_MS:-200}"

ctl() { "$bin" ctl --socket "$sock" "$@"; }

# Inside the loop nothing starts a process but `vmodem ctl`: a process
# start costs a good part of a second in a loaded TCG guest.
# stamp VAR: wall-clock ms.
stamp() {
  local t="${EPOCHREALTIME/[.,]/}"
  printf -v "$1" '%d' $((t / 1000))
}
# sample PID: usage="RSS_KB FDS THREADS ANON_KB FILE_KB". RSS is anonymous
# memory (the heap) plus file pages: the binary's code is paged in as
# rarer paths run for the first time.
sample() {
  local k v _ rss=0 thr=0 anon=0 file=0 fds
  while read -r k v _; do
    case "$k" in
      VmRSS:) rss="$v" ;; RssAnon:) anon="$v" ;; RssFile:) file="$v" ;; Threads:) thr="$v" ;;
    esac
  done <"/proc/$1/status"
  fds=("/proc/$1/fd/"*)
  usage="$rss ${#fds[@]} $thr $anon $file"
}
# await_modem PREV TIMEOUT_S: reads ModemManager's object monitor (fd $mon)
# until modem PREV is removed and a modem with a higher index is added;
# sets m to that index, t_gone and t_new to the wall-clock ms of both.
await_modem() {
  local prev="$1" deadline=$((SECONDS + $2)) line rc n seen_gone=0
  [ "$prev" -ge 0 ] || seen_gone=1
  t_gone=0
  while [ "$SECONDS" -lt "$deadline" ]; do
    rc=0
    IFS= read -r -t $((deadline - SECONDS)) -u "$mon" line || rc=$?
    if [ "$rc" -gt 128 ]; then continue; fi # timed out: the loop decides
    if [ "$rc" -ne 0 ]; then return 1; fi   # the monitor is gone
    [[ "$line" =~ ^\(([+-])\)\ .*/Modem/([0-9]+) ]] || continue
    n="${BASH_REMATCH[2]}"
    if [ "${BASH_REMATCH[1]}" = - ] && [ "$n" -eq "$prev" ]; then
      seen_gone=1
      stamp t_gone
    elif [ "${BASH_REMATCH[1]}" = + ] && [ "$seen_gone" -eq 1 ] && [ "$n" -gt "$prev" ]; then
      m="$n"
      stamp t_new
      return 0
    fi
  done
  return 1
}

if [ "$cycles" -le "$warmup" ]; then
  vm_not_ok "VMODEM_SOAK_CYCLES ($cycles) above VMODEM_SOAK_WARMUP ($warmup)"
  vm_done
fi

pid= mon_pid=
timing=() series=()
cleanup() {
  [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
  [ -z "$mon_pid" ] || kill "$mon_pid" 2>/dev/null || true
  # The hints must not outlive this file: later files see plain udev.
  rm -f "$rules" "$fifo"
  udevadm control --reload 2>/dev/null || true
  { echo "# cycle modem reset-to-gone-ms reset-to-detected-ms"; printf '%s\n' "${timing[@]}"; } \
    >"$VM_RESULTS/soak-cycles.txt"
  { echo "# cycle rss-kb fds threads anon-kb file-kb"; printf '%s\n' "${series[@]}"; } >"$VM_RESULTS/soak-usage.txt"
}
trap cleanup EXIT

# Port hints, as ModemManager's own 77-mm-sierra.rules gives the MC74xx and
# EM7565, whose interfaces are laid out the same. The IDs are attributes
# of the device, the number of the interface: hence a variable carried
# from one rule to the next, as there.
mkdir -p "${rules%/*}"
cat >"$rules" <<'EOF'
ACTION!="add|change|move|bind", GOTO="vmodem_soak_end"
SUBSYSTEM!="tty", GOTO="vmodem_soak_end"
SUBSYSTEMS=="usb", ATTRS{bInterfaceNumber}=="?*", ENV{.VMODEM_IFNUM}="$attr{bInterfaceNumber}"
ATTRS{idVendor}=="1199", ATTRS{idProduct}=="9041", ENV{.VMODEM_IFNUM}=="00", ENV{ID_MM_PORT_TYPE_QCDM}="1"
ATTRS{idVendor}=="1199", ATTRS{idProduct}=="9041", ENV{.VMODEM_IFNUM}=="02", ENV{ID_MM_PORT_TYPE_GPS}="1"
ATTRS{idVendor}=="1199", ATTRS{idProduct}=="9041", ENV{.VMODEM_IFNUM}=="03", ENV{ID_MM_PORT_TYPE_AT_PRIMARY}="1"
LABEL="vmodem_soak_end"
EOF
# At debug level ModemManager logs every QMI message of every cycle, and
# the logging alone slows each detection under TCG.
VM_MM_LOG_LEVEL=INFO
vm_check "udev, D-Bus and ModemManager started" vm_start_stack --log-timestamps
vm_check "udev rules reloaded with the port hints" udevadm control --reload

# The shipped profile, without the failsafe and with one short down time.
"$bin" profile default | sed -e 's/^failsafe-resets = .*/failsafe-resets = 0/' \
  -e "s/^down-ms-m\(in\|ax\) = .*/down-ms-m\1 = $down_ms/" >"$profile"
vm_check "soak profile: failsafe off" grep -qx 'failsafe-resets = 0' "$profile"
vm_check "soak profile: every reset off the bus for $down_ms ms" \
  test "$(grep -cx "down-ms-m[ia][nx] = $down_ms" "$profile")" -eq 2
vm_check "soak profile is valid" "$bin" profile check "$profile"

# ModemManager's modem list as events: "(+) .../Modem/N", "(-) .../Modem/N".
# A named pipe, as the guest has no /dev/fd for a process substitution.
rm -f "$fifo"
mkfifo "$fifo"
stdbuf -oL mmcli -M >"$fifo" 2>&1 &
mon_pid=$!
exec {mon}<"$fifo"

rm -f "$sock"
"$bin" run --transport ffs --profile "$profile" --events "$ev" --control "$sock" \
  >"$VM_RESULTS/vmodem-soak.log" 2>&1 &
pid=$!
stamp t0
# Not through vm_check: its subshell would lose m and t_new.
if await_modem -1 180; then
  vm_ok "ModemManager lists the modem"
  echo "# soak: first detection after $((t_new - t0)) ms"
else
  vm_not_ok "ModemManager lists the modem"
  vm_done
fi
ports="$(mmcli -m "$m" 2>&1 | vm_plain | sed -n '/ports:/,/^ *-/p')"
printf '%s\n' "$ports" | sed 's/^/#   /'
vm_check "ModemManager took the hints: a qcdm port" grep -q "ttyUSB[0-9]* (qcdm)" <<<"$ports"
vm_check "ModemManager took the hints: a gps port" grep -q "ttyUSB[0-9]* (gps)" <<<"$ports"
vm_check "ModemManager took the hints: an at port" grep -q "ttyUSB[0-9]* (at)" <<<"$ports"

# --- The cycles -----------------------------------------------------------
deadline=$((SECONDS + budget_s))
done_cycles=0
failed=
base= final=
stamp start_ms
for ((i = 1; i <= cycles; i++)); do
  prev="$m"
  stamp c0
  if ! ctl reset >/dev/null; then
    failed="cycle $i: ctl reset refused or unanswered"
    break
  fi
  if ! await_modem "$prev" 180; then
    failed="cycle $i: modem $prev not replaced by a newer one within 180 s"
    break
  fi
  done_cycles=$i
  timing+=("$i $m $((t_gone - c0)) $((t_new - c0))")
  if [ "$i" -eq "$warmup" ] || [ "$i" -eq "$cycles" ]; then
    # Both samples at the same quiet moment: ModemManager has exported the
    # modem and stopped at the locked SIM.
    sleep 1
  fi
  sample "$pid"
  series+=("$i $usage")
  [ "$i" -ne "$warmup" ] || base="$usage"
  [ "$i" -ne "$cycles" ] || final="$usage"
  if [ $((i % 25)) -eq 0 ] || [ "$i" -eq "$warmup" ]; then
    read -r r f t a p <<<"$usage"
    echo "# soak: cycle $i/$cycles, modem $m, rss ${r} kB (anon $a, file $p), fds $f, threads $t, $(((t_new - start_ms) / i)) ms per cycle so far"
  fi
  if [ "$SECONDS" -ge "$deadline" ] && [ "$i" -lt "$cycles" ]; then
    failed="over the ${budget_s} s budget after $i cycles"
    break
  fi
done
stamp end_ms
if [ -z "$failed" ]; then
  vm_ok "$cycles resets, each re-detected as a new modem object"
else
  vm_not_ok "$cycles resets, each re-detected as a new modem object" "$failed"
fi
vm_check "ModemManager lists just the last modem" test "$(vm_modem_ids)" = "$m"
per=$(((end_ms - start_ms) / (done_cycles > 0 ? done_cycles : 1)))
echo "# soak: $done_cycles cycles in $(((end_ms - start_ms) / 1000)) s, $per ms per cycle"
printf '%s\n' "${timing[@]}" | awk '{ print $4 }' | sort -n | awk '
  { v[NR] = $1 } END { if (NR) printf "# soak: reset to detected: min %d, median %d, max %d ms\n", v[1], v[int((NR + 1) / 2)], v[NR] }'

# --- Resources ------------------------------------------------------------
if [ -n "$base" ] && [ -n "$final" ]; then
  read -r r0 f0 t0 a0 p0 <<<"$base"
  read -r r1 f1 t1 a1 p1 <<<"$final"
  echo "# soak: baseline after $warmup cycles: rss ${r0} kB (anon $a0, file $p0), fds $f0, threads $t0"
  echo "# soak: after $cycles cycles: rss ${r1} kB (anon $a1, file $p1), fds $f1, threads $t1"
  echo "# soak: rss growth $(awk -v a="$r0" -v b="$r1" 'BEGIN { printf "%.1f", (b - a) * 100 / a }') %"
  # A leak is anonymous memory: file-backed pages are the binary's code
  # paged in as paths first run (one run gained 480 kB of them in the
  # last cycles), bounded by the file's size.
  echo "# soak: anonymous growth $((a1 - a0)) kB, file-backed $((p1 - p0)) kB"
  vm_check "anonymous memory grew by at most 10 % of the baseline RSS" test $(((a1 - a0) * 10)) -le "$r0"
  vm_check "no more open fds than the baseline" test "$f1" -le "$f0"
  vm_check "no more threads than the baseline" test "$t1" -le "$t0"
else
  vm_not_ok "resources compared" "the cycles did not complete"
fi

# --- The module's own account ----------------------------------------------
status="$(ctl status 2>&1 || true)"
vm_check "vmodem counted every reset" test "$(jq -r .resets <<<"$status")" -eq "$done_cycles"
vm_check "still the application firmware (no failsafe)" test "$(jq -r .personality <<<"$status")" = application
count() { jq -c "select($1)" "$ev" | wc -l; }
vm_check "events log: one injected reset per cycle" \
  test "$(count ".event == \"reset\" and .cause == \"injected\" and .down_ms == $down_ms")" -eq "$done_cycles"
vm_check "events log: no failsafe" test "$(count '.event == "failsafe"')" -eq 0

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 20 sh -c "! kill -0 $pid"
pid=
vm_done
