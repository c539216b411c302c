#!/usr/bin/env bash
# ModemManager and the fault stories over USB/IP: vmodem's own USB/IP
# server imported through vhci_hcd (no gadget, no dummy_hcd), kept attached
# by scripts/usbip-attach-loop.sh as a real bus would keep the module.
# 1. scenarios/pin-reset.toml: the PIN is accepted, the firmware resets by
#    itself, the import ends, the loop attaches again and ModemManager
#    finds a new, locked modem.
# 2. That modem unlocks, registers and connects with APN internet; the
#    gateway and DNS server of the bearer answer pings through the wwan
#    netdev and the DNS server answers a lookup.
# 3. The failsafe: `vmodem ctl reset`s until it trips; the loop attaches
#    1199:9040 (one interface, one qcserial tty, no qmi_wwan, no modem in
#    ModemManager); `vmodem ctl power-cycle` brings 1199:9041 back and
#    ModemManager finds it.
# 4. A bad cable (`vmodem ctl power`, as faults-bad-cable.toml): on 3G only
#    it stays up; with LTE allowed the LTE attach browns it out, it resets,
#    the import ends and the loop attaches it again; with a good cable it
#    stays up on LTE.
# Every transition is checked in vmodem's log, its events log and the
# loop's log. Needs target/release/vmodem. Loopback only.
set -euo pipefail
# shellcheck source=host-tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need jq || true
bin="$PWD/target/release/vmodem"
sock=/tmp/vmodem-usbip-faults.sock
ev="$VM_RESULTS/usbip-faults.jsonl"
vlog="$VM_RESULTS/vmodem-usbip-faults.log"
llog="$VM_RESULTS/usbip-attach-loop.log"
mmlog="$VM_RESULTS/ModemManager.log"
profile=sim/core/profiles/em7305.toml

ctl() { "$bin" ctl --socket "$sock" "$@"; }
count_events() { vm_count_events "$ev" "$1"; }
# The loop's record of the host side.
attaches() { grep -c " attached " "$llog" || true; }
losses() { grep -c " gone " "$llog" || true; }
last_attach() { grep " attached " "$llog" | tail -1 | awk '{print $4}'; }
app_ready() { vm_vhci_is 1199:9041 && test -e /dev/cdc-wdm0; }
# The next attach after the loop had N: the device back on the bus.
attached_after() { [ "$(attaches)" -gt "$1" ]; }

vm_check "vmodem release binary built" test -x "$bin"
vm_check "udev started" vm_start_udev
# Port hints (lib.sh): ModemManager probes the DM port for QCDM only and
# the NMEA port not at all.
vm_port_hints /run/udev/rules.d/77-vmodem-em7305-hints.rules
pid= loop=
# Whatever happens, the next file in the same boot finds no loop, no
# server and no hints.
cleanup() {
  [ -z "$loop" ] || kill "$loop" 2>/dev/null || true
  [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
  rm -f /run/udev/rules.d/77-vmodem-em7305-hints.rules
  udevadm control --reload || true
}
trap cleanup EXIT
vm_check "D-Bus started" vm_start_dbus
vm_check "ModemManager started" vm_start_mm
vm_check "vhci_hcd loaded" vm_modprobe vhci_hcd

rm -f "$sock"
t0=$SECONDS
"$bin" run --transport usbip --composition qmi --scenario scenarios/pin-reset.toml --events "$ev" \
  --control "$sock" >"$vlog" 2>&1 &
pid=$!
vm_check "vmodem listens on 127.0.0.1:3240" vm_wait_for 20 sh -c 'ss -ltn | grep -q "127.0.0.1:3240 "'
scripts/usbip-attach-loop.sh >"$llog" 2>&1 &
loop=$!
vm_check "attach loop attaches 1199:9041" vm_wait_for 30 attached_after 0
vm_check "imported under vhci_hcd as 1199:9041, cdc-wdm0 present" vm_wait_for 30 app_ready
vm_check "usbip port names the import" sh -c 'usbip port 2>/dev/null | grep -q "usbip://127.0.0.1:3240/1-1"'

# --- 1. PIN, then the firmware resets by itself ----------------------------
vm_check "pin-reset: ModemManager lists the modem" vm_wait_for 180 vm_new_modem
echo "# ModemManager found the modem $((SECONDS - t0)) s after vmodem started"
m="$(vm_modem_ids | head -1 || true)"
sim="$(vm_sim_of "$m" || true)"
vm_check "pin-reset: SIM locked at first" vm_locked "$m"
n="$(attaches)"
vm_check "pin-reset: mmcli --pin=1234 accepted" mmcli -i "$sim" --pin=1234
vm_check "pin-reset: firmware reset logged" vm_wait_for 60 sh -c "[ \$(jq -c 'select(.event==\"reset\")' $ev | wc -l) -ge 1 ]"
vm_check "pin-reset: the import ends (loop sees it gone)" vm_wait_for 30 sh -c "[ \$(grep -c ' gone ' $llog) -ge 1 ]"
vm_check "pin-reset: ModemManager's modem object goes away" vm_wait_for 120 vm_modem_gone "$m"
vm_check "pin-reset: the loop attaches 1199:9041 again" vm_wait_for 60 attached_after "$n"
vm_check "pin-reset: cdc-wdm0 back" vm_wait_for 30 app_ready
t1=$SECONDS
vm_check "pin-reset: ModemManager detects a new modem" vm_wait_for 180 vm_new_modem "$m"
echo "# ModemManager found the new modem $((SECONDS - t1)) s after the re-attach"
m2="$(vm_modem_ids | grep -vx "$m" | head -1 || true)"
vm_check "pin-reset: the new modem's SIM is locked again" vm_wait_for 60 vm_locked "$m2"
# The scripted window: reset 1-2 s after pin-verified, 1.5 s off the bus.
window() {
  jq -s -e '
    (map(select(.event=="state" and .state=="pin-verified"))[0]["t-ms"]) as $pin
    | (map(select(.event=="fault" and .fault.fault=="reset"))[0]["t-ms"]) as $f
    | (map(select(.event=="reset"))[0]) as $r
    | (map(select(.event=="returned-to-bus"))[0]["t-ms"]) as $back
    | ($f - $pin) >= 1000 and ($f - $pin) <= 2000 and $r.cause == "injected"
      and $r.down_ms == 1500 and ($back - $f) == 1500' "$ev" >/dev/null
}
vm_check "pin-reset: reset 1-2 s after the PIN, back 1.5 s later (events log)" window
vm_check "pin-reset: exactly one reset" test "$(count_events reset)" -eq 1

echo "# phase pin-reset done at $((SECONDS - t0)) s"
# --- 2. Connect and traffic -------------------------------------------------
m="$m2"
sim="$(vm_sim_of "$m" || true)"
vm_check "connect: PIN accepted again" mmcli -i "$sim" --pin=1234
vm_check "connect: modem unlocked" vm_wait_for 60 vm_unlocked "$m"
# Until then ModemManager refuses to enable ("modem in initializing state").
vm_check "connect: modem initialised (disabled)" vm_wait_for 60 vm_state_is "$m" disabled
vm_check "connect: modem enables" mmcli -m "$m" -e
vm_check "connect: registered" vm_wait_for 90 vm_state_is "$m" registered
vm_check "connect: access tech lte" grep -q "access tech: lte" <<<"$(vm_modem "$m")"
vm_check "connect: simple-connect apn=internet" \
  mmcli -m "$m" --simple-connect="apn=internet,ip-type=ipv4"
vm_check "connect: state connected" vm_wait_for 30 vm_state_is "$m" connected
b="$(vm_modem "$m" | sed -n 's|.*Bearer/\([0-9]*\).*|\1|p' | tail -1 || true)"
bearer="$(mmcli -b "$b" 2>&1 | vm_plain)"
printf '%s\n' "$bearer" >"$VM_RESULTS/usbip-bearer.txt"
printf '%s\n' "$bearer" | sed -n '/IPv4/,/Statistics/p' | sed 's/^/#   /'
field() { sed -n "s/^ *| *$1: \([^ ,]*\).*/\1/p" <<<"$bearer" | head -1; }
addr="$(field address)" prefix="$(field prefix)" gw="$(field gateway)" dns="$(field dns)"
net="$(field interface)"
vm_check "connect: bearer address from the profile ($addr)" \
  grep -qx "ipv4-address = \"$addr\"" "$profile"
vm_check "connect: bearer gateway from the profile ($gw)" \
  grep -qx "ipv4-gateway = \"$gw\"" "$profile"
vm_check "connect: bearer has a DNS server ($dns)" test -n "$dns"
vm_check "connect: the bearer's netdev ($net) is qmi_wwan's on vhci" \
  sh -c "readlink -f /sys/class/net/$net | grep -q vhci"
vm_check "connect: $net in raw-IP mode, as ModemManager set it" grep -qx Y "/sys/class/net/$net/qmi/raw_ip"
vm_check "connect: $net up" ip link set "$net" up
vm_check "connect: $net gets the bearer's address" ip addr add "$addr/${prefix:-24}" dev "$net"
rx0="$(cat "/sys/class/net/$net/statistics/rx_packets" || echo 0)"
for host in "$gw" "$dns"; do
  out="$(busybox ping -c 5 -W 3 "$host" 2>&1 || true)"
  printf '%s\n' "$out" | tail -2 | sed 's/^/#   /'
  vm_check "connect: ping $host through $net: 5 replies" \
    grep -q "5 packets transmitted, 5 packets received" <<<"$out"
done
out="$(busybox nslookup gateway.vmodem.test "$dns" 2>&1 || true)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "connect: DNS lookup through $net" grep -q "Address: $gw" <<<"$out"
rx="$(cat "/sys/class/net/$net/statistics/rx_packets" || echo 0)"
vm_check "connect: $net received the replies ($((rx - rx0)) packets)" test "$((rx - rx0))" -ge 11

echo "# phase connect done at $((SECONDS - t0)) s"
# --- 3. The failsafe ----------------------------------------------------------
# The scenario fires once: the second PIN, long ago now, reset nothing.
vm_check "connect: still the one reset of the scenario" test "$(count_events reset)" -eq 1
# pin-reset's reset already counts (injected); fire resets until the
# failsafe trips, each time waiting for the loop's next attach.
tripped() { [ "$(count_events failsafe)" -ge 1 ]; }
fired=0
while [ "$fired" -lt 6 ] && ! tripped; do
  n="$(attaches)"
  ctl reset --down-ms 1000 >/dev/null || break
  fired=$((fired + 1))
  vm_wait_for 60 attached_after "$n" || break
  [ "$(last_attach)" = 1199:9040 ] && break
  vm_wait_for 30 app_ready || break
done
echo "# failsafe: $fired ctl resets after the scenario's one"
vm_check "failsafe: tripped (events log)" vm_wait_for 10 tripped
vm_check "failsafe: five counted resets" \
  jq -s -e 'map(select(.event=="failsafe"))[0].resets == 5' "$ev"
vm_check "failsafe: the loop attached 1199:9040" test "$(last_attach)" = 1199:9040
mm_mark="$(wc -l <"$mmlog")"
vm_check "failsafe: 1199:9040 under vhci_hcd" vm_wait_for 30 vm_vhci_is 1199:9040
vm_check "failsafe: ttyUSB0 present" vm_wait_path 30 /dev/ttyUSB0
udevadm settle --timeout=10 || true
dev="$(vm_vhci_device | cut -d' ' -f1 || true)"
lsusb -v -d 1199:9040 >"$VM_RESULTS/usbip-lsusb-9040.txt" 2>&1 || true
desc() { grep -E "^ *$1 " "$VM_RESULTS/usbip-lsusb-9040.txt" | awk '{print $2}'; }
vm_check "failsafe: one configuration" test "$(desc bNumConfigurations | sort -u)" = 1
vm_check "failsafe: one interface" test "$(desc bNumInterfaces)" = 1
# The device fields of the public EM7305 QDL dump (docs/bootloader.md).
vm_check "failsafe: bcdDevice 0.00" test "$(desc bcdDevice)" = 0.00
vm_check "failsafe: no serial string" test "$(desc iSerial)" = 0
vm_check "failsafe: MaxPower 2mA" test "$(desc MaxPower)" = 2mA
vm_check "failsafe: bus powered" grep -q '(Bus Powered)' "$VM_RESULTS/usbip-lsusb-9040.txt"
vm_check "failsafe: qcserial bound to interface 0" test -e "/sys/bus/usb/drivers/qcserial/$dev:1.0"
vm_check "failsafe: exactly one ttyUSB" test "$(ls /sys/bus/usb-serial/devices | wc -l)" -eq 1
vm_check "failsafe: qmi_wwan binds nothing" sh -c '! ls /sys/bus/usb/drivers/qmi_wwan | grep -q ":1\."'
vm_check "failsafe: no cdc-wdm" sh -c '! ls /dev/cdc-wdm* 2>/dev/null'
vm_check "failsafe: no 9041 on the bus" sh -c '! lsusb -d 1199:9041'
# ModemManager probes the tty and gives up on it; only then is "no modem"
# meaningful.
probed() { tail -n +"$mm_mark" "$mmlog" | grep -qE 'ttyUSB0: finished in'; }
if vm_wait_for 180 probed; then
  tail -n +"$mm_mark" "$mmlog" | grep -E 'ttyUSB0.*(blacklisted|not supported)|ttyUSB0: finished in' |
    tail -3 | sed 's/^.*\] //; s/^/#   MM: /'
  vm_check "failsafe: ModemManager creates no modem" sh -c "! mmcli -L 2>/dev/null | grep -q /Modem/"
else
  vm_skip "failsafe: ModemManager creates no modem" "no verdict on ttyUSB0 in the ModemManager log after 180 s"
fi

echo "# phase failsafe done at $((SECONDS - t0)) s"
n="$(attaches)"
vm_check "power-cycle: ctl power-cycle" ctl power-cycle
vm_check "power-cycle: the loop attaches again" vm_wait_for 60 attached_after "$n"
vm_check "power-cycle: as 1199:9041" test "$(last_attach)" = 1199:9041
vm_check "power-cycle: 9041 under vhci_hcd, cdc-wdm0 present" vm_wait_for 30 app_ready
vm_check "power-cycle: 9040 gone" sh -c '! lsusb -d 1199:9040'
t2=$SECONDS
vm_check "power-cycle: ModemManager detects the modem again" vm_wait_for 180 vm_new_modem
echo "# ModemManager found the modem $((SECONDS - t2)) s after the power cycle's re-attach"
vm_check "power-cycle: the SIM is locked again" vm_wait_for 60 vm_locked "$(vm_modem_ids | head -1)"

echo "# phase power-cycle done at $((SECONDS - t0)) s"
# --- 4. A bad cable -------------------------------------------------------------
# The story of faults-bad-cable.toml (faults-mm.test.sh) on this run: the
# 1.5 ohm cable goes in while the modem is locked and idle, which draws
# too little to brown out. Records from here on are the phase's own.
mark="$(wc -l <"$ev")"
since() { tail -n +"$((mark + 1))" "$ev"; }
count_since() { since | vm_count_events - "$1"; }
m="$(vm_modem_ids | head -1 || true)"
sim="$(vm_sim_of "$m" || true)"
n="$(attaches)" l="$(losses)"
vm_check "bad cable: ctl power: 1.5 ohm cable, 0.05 ohm connectors" \
  ctl power --cable-ohms 1.5 --connector-ohms 0.05
bad_cable_logged() {
  since | jq -s -e 'any(.[]; .event=="fault" and .source=="control"
    and .fault.fault=="power" and .fault["cable-ohms"]==1.5)' >/dev/null
}
vm_check "bad cable: the change in the events log, from the control socket" bad_cable_logged
# ModemManager refuses mode changes while the SIM is locked, and the module
# searches as soon as the PIN is in: UMTS only over QMI (through
# ModemManager's qmi-proxy) first.
vm_check "bad cable (a): qmicli sets UMTS only" vm_wait_for 30 \
  qmicli -p -d /dev/cdc-wdm0 --nas-set-system-selection-preference=umts
vm_check "bad cable (a): PIN accepted" mmcli -i "$sim" --pin=1234
vm_check "bad cable (a): modem unlocked" vm_wait_for 60 vm_unlocked "$m"
# Until then ModemManager refuses mode changes ("modem in initializing state").
vm_check "bad cable (a): modem initialised (disabled)" vm_wait_for 60 vm_state_is "$m" disabled
vm_check "bad cable (a): mmcli --set-allowed-modes=3g" mmcli -m "$m" --set-allowed-modes=3g
vm_check "bad cable (a): modem enables" mmcli -m "$m" -e
vm_check "bad cable (a): registered" vm_wait_for 90 vm_state_is "$m" registered
vm_check "bad cable (a): access tech umts" vm_tech_is "$m" umts
sleep 5 # an observation window: five of the supply model's 1 s burst periods
vm_check "bad cable (a): still registered on UMTS after 5 s" vm_state_is "$m" registered
vm_check "bad cable (a): no brownout in the events log" test "$(count_since brownout)" -eq 0
vm_check "bad cable (a): no reset in the events log" test "$(count_since reset)" -eq 0
vm_check "bad cable (a): still the same import (loop)" test "$(attaches)" -eq "$n" -a "$(losses)" -eq "$l"

vm_check "bad cable (b): mmcli allows 3g|4g, 4g preferred" \
  mmcli -m "$m" --set-allowed-modes='3g|4g' --set-preferred-mode=4g
# The engine's registration record: the brownout comes within the same
# engine step, too soon for a state ModemManager could see.
lte_reg() { since | jq -e -s 'any(.[]; .event=="registration" and .rat=="lte" and .state=="registered")' >/dev/null; }
vm_check "bad cable (b): registered on LTE (events log)" vm_wait_for 60 lte_reg
browned() { [ "$(count_since brownout)" -ge 1 ]; }
vm_check "bad cable (b): brownout logged" vm_wait_for 60 browned
# In order: the LTE registration, the brownout below 3.3 V at the LTE
# attach load, the reset it causes, off the bus, back as the application.
story() {
  since | jq -s -e '
    def at(p): (to_entries | map(select(.value | p)) | first | .key) // -1;
    at(.event=="registration" and .rat=="lte" and .state=="registered") as $reg
    | at(.event=="brownout") as $bo
    | at(.event=="reset") as $rs
    | at(.event=="left-bus") as $left
    | at(.event=="returned-to-bus") as $back
    | (map(select(.event=="brownout"))[0].volts < 3.3)
      and (map(select(.event=="reset"))[0].cause == "brownout")
      and (map(select(.event=="left-bus"))[0].cause == {"reset": "brownout"})
      and (map(select(.event=="returned-to-bus"))[0].personality == "application")
      and $reg >= 0 and $reg < $bo and $bo < $rs and $rs < $back and $left >= 0 and $left < $back' >/dev/null
}
vm_check "bad cable (b): LTE registration, brownout < 3.3 V, reset and departure with cause brownout, return (events log)" \
  vm_wait_for 30 story
since | jq -c 'select(.event=="registration" or .event=="load" or .event=="brownout" or .event=="reset"
  or .event=="left-bus" or .event=="returned-to-bus")' | head -12 | sed 's/^/#   /'
vm_check "bad cable (b): exactly one reset" test "$(count_since reset)" -eq 1
# grep reads the whole log: with -q it stops at the match and sed dies of
# SIGPIPE on a long log, which pipefail reports as a failure (141).
left_for_brownout() { vm_plain <"$vlog" | grep 'leaving the bus cause=Reset(Brownout)' >/dev/null; }
vm_check "bad cable (b): vmodem leaves the bus for the brownout" left_for_brownout
lost_after() { [ "$(losses)" -gt "$1" ]; }
vm_check "bad cable (b): the import ends (loop sees it gone)" vm_wait_for 30 lost_after "$l"
vm_check "bad cable (b): ModemManager loses the modem" vm_wait_for 120 vm_modem_gone "$m"
vm_check "bad cable (b): the loop attaches 1199:9041 again" vm_wait_for 60 attached_after "$n"
vm_check "bad cable (b): as 1199:9041, cdc-wdm0 back" vm_wait_for 30 app_ready
t3=$SECONDS

vm_check "bad cable (c): ctl power: a good cable" ctl power --cable-ohms 0.1 --connector-ohms 0.05
vm_check "bad cable (c): ModemManager detects the modem again" vm_wait_for 180 vm_new_modem "$m"
echo "# ModemManager found the modem $((SECONDS - t3)) s after the re-attach"
m="$(vm_modem_ids | grep -vx "$m" | head -1 || true)"
sim="$(vm_sim_of "$m" || true)"
vm_check "bad cable (c): the SIM is locked again" vm_wait_for 60 vm_locked "$m"
vm_check "bad cable (c): PIN accepted" mmcli -i "$sim" --pin=1234
vm_check "bad cable (c): modem unlocked" vm_wait_for 60 vm_unlocked "$m"
vm_check "bad cable (c): modem initialised (disabled)" vm_wait_for 60 vm_state_is "$m" disabled
vm_check "bad cable (c): modem enables" mmcli -m "$m" -e
vm_check "bad cable (c): registered" vm_wait_for 90 vm_state_is "$m" registered
vm_check "bad cable (c): access tech lte" vm_tech_is "$m" lte
sleep 5 # an observation window: five of the supply model's 1 s burst periods
vm_check "bad cable (c): still registered on LTE after 5 s" vm_tech_is "$m" lte
vm_check "bad cable (c): no further reset or brownout" \
  test "$(count_since reset)" -eq 1 -a "$(count_since brownout)" -eq 1
vm_check "bad cable (c): no further departure (loop)" test "$(attaches)" -eq "$((n + 1))"
echo "# phase bad cable done at $((SECONDS - t0)) s"

# --- Every transition on record -----------------------------------------------
returns="$(count_events returned-to-bus)"
resets="$(count_events reset)"
echo "# $resets resets, $returns returns to the bus, $(attaches) attaches, $(losses) losses"
jq -c 'select(.event=="reset" or .event=="failsafe" or .event=="left-bus" or .event=="returned-to-bus")' "$ev" |
  sed 's/^/#   /'
sed 's/^/#   loop: /' "$llog"
vm_check "events: every reset left the bus and came back" \
  test "$(count_events left-bus)" -eq "$resets" -a "$returns" -eq "$resets"
vm_check "events: back once as the boot loader, then twice as the application" \
  jq -s -e '[.[] | select(.event=="returned-to-bus") | .personality][-3:] == ["boot-loader","application","application"]' "$ev"
vm_check "events: the last resets are the power cycle and the brownout" \
  jq -s -e '[.[] | select(.event=="reset") | .cause][-2:] == ["power-cycle","brownout"]' "$ev"
vm_check "loop: one attach per return plus the first" test "$(attaches)" -eq "$((returns + 1))"
vm_check "loop: one loss per reset" test "$(losses)" -eq "$resets"
vm_check "vmodem log: one 'host attached' per attach" \
  test "$(grep -c 'host attached' "$vlog")" -eq "$(attaches)"
vm_check "vmodem log: one departure per reset" \
  test "$(grep -c 'leaving the bus$' "$vlog")" -eq "$resets"
vm_check "vmodem log: one offer per return" \
  test "$(grep -c 'offered again' "$vlog")" -eq "$returns"
vm_check "vmodem log: offered as the boot loader once" \
  test "$(grep 'offered again' "$vlog" | grep -c BootLoader)" -eq 1
vm_check "vmodem log: the last offer is the application" \
  sh -c "grep 'offered again' '$vlog' | tail -1 | grep -q Application"

kill "$loop"
wait "$loop" 2>/dev/null || true
loop=
kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 20 sh -c "! kill -0 $pid"
vm_check "host sees the device go" vm_wait_for 20 sh -c '! lsusb -d 1199:9041'
echo "# usbip-faults: $((SECONDS - t0)) s from vmodem's start"
vm_done
