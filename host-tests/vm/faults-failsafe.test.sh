#!/usr/bin/env bash
# Resets fired through `vmodem ctl`, seen by the host:
# 4. Timing: for a scripted down time, the time from the kernel's "USB
#    disconnect" to its "new high-speed USB device" (dmesg timestamps).
# 3. The failsafe: five quick resets and the module is 1199:9040, one
#    configuration, one interface, one qcserial tty, no modem in
#    ModemManager; a host usbreset keeps it there; a power cycle brings
#    9041 back and ModemManager finds it.
# Needs target/release/vmodem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need jq usbreset || true
bin="$PWD/target/release/vmodem"
sock=/tmp/vmodem-faults-failsafe.sock
ev="$VM_RESULTS/faults-failsafe.jsonl"

ctl() { "$bin" ctl --socket "$sock" "$@"; }
listed() { mmcli -L 2>/dev/null | vm_plain | grep -q '/Modem/'; }
count_events() { vm_count_events "$ev" "$1"; }
enumerations() { dmesg | grep -c 'new high-speed USB device' || true; }
app_ready() { lsusb -d 1199:9041 >/dev/null && test -e /dev/cdc-wdm0; }

vm_check "udev started" vm_start_udev
vm_check "D-Bus started" vm_start_dbus
rm -f "$sock"
"$bin" -v run --transport ffs --events "$ev" --control "$sock" \
  >"$VM_RESULTS/vmodem-failsafe.log" 2>&1 &
pid=$!
vm_check "9041 enumerated, cdc-wdm0 present" vm_wait_for 60 app_ready
vm_check "control socket answers" vm_wait_for 30 ctl status

# --- 4. Host-observed down time of scripted resets -----------------------
# From dmesg, for each reset: the kernel's "USB disconnect", the hub seeing
# the port connected again (hub.c's port status debug line, switched on
# here), and "new high-speed USB device" once the host has debounced
# (USB 2.0 7.1.7.3: 100 ms) and reset the port. A power cycle between
# groups keeps the failsafe count (five within 300 s) from tripping.
ddc=/sys/kernel/debug/dynamic_debug/control
echo 'file drivers/usb/core/hub.c +p' >"$ddc" 2>/dev/null || echo "#   no dynamic debug for hub.c"
mark="$(dmesg | wc -l)"
# bounce CTL-ARGS...: fire it, wait for the next enumeration and drivers.
bounce() {
  local n
  n="$(enumerations)"
  ctl "$@" >/dev/null &&
    vm_wait_for 60 sh -c "[ \$(dmesg | grep -c 'new high-speed USB device') -gt $n ]" &&
    vm_wait_for 60 app_ready
}
for down in 1000 1500 2000; do
  for i in 1 2 3; do
    vm_check "ctl reset --down-ms $down (#$i): back on the bus" bounce reset --down-ms "$down"
  done
  vm_check "power-cycle after the $down ms group: back as 9041" bounce power-cycle
done
echo 'file drivers/usb/core/hub.c -p' >"$ddc" 2>/dev/null || true
# One line per reset: ms to the port seen connected, ms to the enumeration.
gaps="$(dmesg | tail -n +"$((mark + 1))" | awk '
  match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
    t = substr($0, RSTART + 1, RLENGTH - 2) + 0
    if ($0 ~ /USB disconnect/) { off = t; on = "" }
    else if (off != "" && on == "" && $0 ~ /-port[0-9]+: status [0-9a-f][0-9a-f][0-9a-f][13579bdf],? change/) on = t
    else if (off != "" && $0 ~ /new high-speed USB device/) {
      printf "%d %d\n", (on == "" ? -1 : (on - off) * 1000 + 0.5), (t - off) * 1000 + 0.5
      off = ""
    }
  }')"
printf '%s\n' "$gaps" >"$VM_RESULTS/faults-timing.txt"
vm_check "twelve disconnect/enumeration pairs in dmesg" test "$(grep -c . <<<"$gaps")" -eq 12
i=0
for down in 1000 1500 2000; do
  seen=() enum=()
  for _ in 1 2 3; do
    i=$((i + 1))
    read -r c e <<<"$(sed -n "${i}p" <<<"$gaps")"
    seen+=("${c:--1}") enum+=("${e:--1}")
  done
  i=$((i + 1)) # the power cycle, with its drawn down time
  med() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
  echo "# timing: scripted ${down} ms: disconnect to port connected ${seen[*]} ms (median $(med "${seen[@]}")), to new device ${enum[*]} ms (median $(med "${enum[@]}"))"
  # dmesg stamps the disconnect when the hub thread gets to it, which a
  # loaded TCG guest can delay by more than 100 ms (one of three came 346 ms
  # late with three VMs on two cores): the median of the three must be
  # within 100 ms of the down time, each one within 500 ms.
  m="$(med "${seen[@]}")"
  vm_check "port connected again after a median ${m} ms: within 100 ms of ${down} ms" \
    test "$m" -ge "$((down - 100))" -a "$m" -le "$((down + 100))"
  for g in "${seen[@]}"; do
    vm_check "port connected again ${g} ms after the disconnect: within 500 ms of ${down} ms" \
      test "$g" -ge "$((down - 500))" -a "$g" -le "$((down + 500))"
  done
  for g in "${enum[@]}"; do
    # The host's debounce (at least 100 ms) and port reset come on top of
    # the down time: reported above, and only checked not to be shorter.
    vm_check "new device ${g} ms after the disconnect: not before ${down} ms" test "$g" -ge "$down"
  done
done

# --- 3. The failsafe -------------------------------------------------------
vm_check "ModemManager started" vm_start_mm
vm_check "ModemManager lists the modem" vm_wait_for 180 listed
base="$(count_events reset)"
for i in 1 2 3 4; do
  vm_check "failsafe: ctl reset #$i, back as 9041" bounce reset --down-ms 200
done
vm_check "failsafe: ctl reset #5" ctl reset --down-ms 200
vm_check "failsafe: tripped (events log)" vm_wait_for 30 sh -c "[ \$(jq -c 'select(.event==\"failsafe\")' $ev | wc -l) -ge 1 ]"
vm_check "failsafe: five more resets logged" test "$(count_events reset)" -ge "$((base + 5))"
vm_check "failsafe: 1199:9040 enumerated" vm_wait_for 60 lsusb -d 1199:9040
# ModemManager's verdicts on the boot loader's tty come after this line.
mm_mark="$(wc -l <"$VM_RESULTS/ModemManager.log")"
vm_check "failsafe: ttyUSB0 present" vm_wait_path 30 /dev/ttyUSB0
udevadm settle --timeout=10 || true
lsusb -v -d 1199:9040 >"$VM_RESULTS/faults-lsusb-9040.txt" 2>&1 || true
field() { grep -E "^ *$1 " "$VM_RESULTS/faults-lsusb-9040.txt" | awk '{print $2}'; }
vm_check "failsafe: one configuration" test "$(field bNumConfigurations | sort -u)" = 1
vm_check "failsafe: one interface" test "$(field bNumInterfaces)" = 1
vm_check "failsafe: no 9041 on the bus" sh -c '! lsusb -d 1199:9041'
vm_check "failsafe: qcserial binds exactly one ttyUSB" test "$(ls /sys/bus/usb-serial/devices | wc -l)" -eq 1
vm_check "failsafe: no cdc-wdm" test ! -e /dev/cdc-wdm0
# ModemManager probes the tty and gives up on it; only then is "no modem"
# meaningful.
mmlog="$VM_RESULTS/ModemManager.log"
probed() { grep -E 'ttyUSB0: finished in' <<<"$(tail -n +"$mm_mark" "$mmlog")" >/dev/null; }
if vm_wait_for 180 probed; then
  tail -n +"$mm_mark" "$mmlog" | grep -E 'ttyUSB0.*blacklisted|ttyUSB0: finished in|completely disposed' |
    tail -3 | sed 's/^.*\] //; s/^/#   MM: /'
  vm_check "failsafe: ModemManager creates no modem" sh -c "! mmcli -L 2>/dev/null | grep -q /Modem/"
else
  vm_skip "failsafe: ModemManager creates no modem" "no verdict on ttyUSB0 in the ModemManager log after 180 s"
fi

vm_check "failsafe: host usbreset 1199:9040" usbreset 1199:9040
vm_check "failsafe: ttyUSB0 back after usbreset" vm_wait_path 30 /dev/ttyUSB0
vm_check "failsafe: still 1199:9040 after usbreset" vm_wait_for 30 lsusb -d 1199:9040
vm_check "failsafe: still no 9041 after usbreset" sh -c '! lsusb -d 1199:9041'

vm_check "failsafe: ctl power-cycle" ctl power-cycle
vm_check "failsafe: 1199:9041 back after the power cycle" vm_wait_for 60 app_ready
vm_check "failsafe: 9040 gone" sh -c '! lsusb -d 1199:9040'
vm_check "failsafe: ModemManager detects the modem again" vm_wait_for 180 listed
jq -c 'select(.event=="failsafe" or .event=="returned-to-bus")' "$ev" | tail -3 | sed 's/^/#   /'

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 20 sh -c "! kill -0 $pid"
vm_done
