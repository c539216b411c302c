#!/usr/bin/env bash
# The bad-cable demo, inside the VM (scripts/demo.sh boots it): vmodem as a
# USB gadget runs scenarios/bad-cable-lte.toml while the real kernel
# drivers and ModemManager drive it. MM unlocks and enables the modem; the
# LTE attach browns the module out through the 1.55 ohm cable and it
# resets; MM loses it and finds it again. Then the cable is swapped and
# the unit power-cycled by hand (vmodem ctl), and it stays registered.
# Writes events.jsonl, mm-view.txt and the logs to $VM_RESULTS.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
bin="$PWD/target/release/vmodem"
sock=/run/vmodem-demo.sock
t0=$SECONDS
say() { printf '  [%3d s] %s\n' "$((SECONDS - t0))" "$*"; }
die() { say "demo failed: $*"; tail -5 "$VM_RESULTS/vmodem.log" | sed 's/^/      /'; exit 1; }

# MM's state of the modem, or "gone".
mm_state() {
  mmcli -m any -K 2>/dev/null | awk -F': ' '$1 ~ /^modem\.generic\.state +$/ { print $2; f = 1 } END { if (!f) print "gone" }'
}
wait_state() { # TIMEOUT STATE... : until MM shows one of the states
  local deadline=$((SECONDS + $1)) s
  shift
  while [ "$SECONDS" -lt "$deadline" ]; do
    s="$(mm_state)"
    for w in "$@"; do [ "$s" = "$w" ] && return 0; done
    sleep 0.3
  done
  return 1
}
unlock() {
  wait_state 150 locked || die "ModemManager never showed the modem locked (now: $(mm_state))"
  say "ModemManager sees the modem: $(mm_state); unlocking the SIM with mmcli"
  local sim
  sim="$(mmcli -m any -K | awk -F': ' '$1 ~ /^modem\.generic\.sim +$/ { print $2 }')"
  mmcli -i "$sim" --pin=1234 >/dev/null || die "mmcli -i $sim --pin failed"
  say "SIM unlocked: the radio is on, the module searches and attaches to LTE"
}

say "starting udev, D-Bus and ModemManager"
vm_start_stack || die "the host stack did not start"
"$bin" run --transport ffs --scenario scenarios/bad-cable-lte.toml \
  --events "$VM_RESULTS/events.jsonl" --control "$sock" >"$VM_RESULTS/vmodem.log" 2>&1 &
vmodem_pid=$!
"$(dirname "$0")/mm-view.sh" "$VM_RESULTS/mm-view.txt" &
view_pid=$!
say "vmodem runs scenarios/bad-cable-lte.toml as a USB gadget (1.5 ohm cable + 0.05 ohm connector)"

unlock
wait_state 60 gone || die "the modem never left ModemManager (now: $(mm_state))"
resets="$("$bin" ctl --socket "$sock" status | grep -o '"resets": *[0-9]*' | grep -o '[0-9]*$')"
say "the modem vanished from ModemManager (vmodem counts ${resets:-?} reset)"
wait_state 150 locked || die "ModemManager did not find the modem again"
say "ModemManager found it again, SIM locked: the reset undid the unlock"

say "swapping the cable: vmodem ctl power --cable-ohms 0.1 --connector-ohms 0.05; vmodem ctl power-cycle"
"$bin" ctl --socket "$sock" power --cable-ohms 0.1 --connector-ohms 0.05 >/dev/null || die "ctl power"
"$bin" ctl --socket "$sock" power-cycle >/dev/null || die "ctl power-cycle"
wait_state 30 gone || true
unlock
wait_state 60 disabled enabled registered connected || die "not back after the PIN (now: $(mm_state))"
mmcli -m any --enable >/dev/null 2>&1 || true
wait_state 90 registered connected || die "not registered after the cable swap (now: $(mm_state))"
say "registered: $(tail -1 "$VM_RESULTS/mm-view.txt" | cut -d' ' -f2-)"
sleep 10
s="$(mm_state)"
case "$s" in registered|connected) say "still $s 10 s later; no more resets" ;; *) die "lost it again: $s" ;; esac
"$bin" ctl --socket "$sock" status >"$VM_RESULTS/status.json" 2>&1 || true

kill "$view_pid" 2>/dev/null; wait "$view_pid" 2>/dev/null
kill "$vmodem_pid" 2>/dev/null; wait "$vmodem_pid" 2>/dev/null
vm_stop_mm
say "done"
