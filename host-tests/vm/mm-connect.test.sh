#!/usr/bin/env bash
# ModemManager end to end: 1.20 finds the gadget and takes it for an EM7305
# (the sierra plugin, a QMI primary port, an AT port, the profile's
# identity); the PIN-locked SIM is unlocked (a wrong PIN first costs a
# try), the modem enables and registers on LTE with the profile's
# operator, a bearer connects with the simulated addresses, a refused APN
# gets a proper error, signal polling shows figures, the bearer
# disconnects, and ModemManager drops the modem when it leaves the bus.
# On the registered modem (mm-features.sh): Messaging (a text sent with
# mmcli is decoded into vmodem's event log, a multipart UCS-2 text from
# `vmodem ctl sms` is listed with exactly that text), Location (the
# capabilities; the profile's position within the time to first fix) and
# Time (the profile's network clock).
# (One file, one detection: under TCG ModemManager's probing costs tens of
# seconds each time.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# shellcheck source=host-tests/vm/mm-features.sh
. "$(dirname "$0")/mm-features.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need python3 jq || true
bin="$PWD/target/release/vmodem"
profile="sim/core/profiles/em7305.toml"
MM_PROFILE="$profile" MM_TAG=qmi
pv() { sed -n "s/^$1 = \"\\(.*\\)\"/\\1/p" "$profile" | head -1; }

vm_check "udev, D-Bus and ModemManager started" vm_start_stack
# A Unix socket cannot live on the 9p results directory.
ctl_sock="$(mktemp -d)/ctl.sock"
events="$VM_RESULTS/events-connect.jsonl"
# The simulation's clock starts with the process: the network time is
# the profile's utc-at-start plus the seconds since.
t_start="$(date +%s)"
"$bin" run --transport ffs --control "$ctl_sock" --events "$events" >"$VM_RESULTS/vmodem-connect.log" 2>&1 &
pid=$!
vm_check "host created /dev/cdc-wdm0" vm_wait_path 30 /dev/cdc-wdm0
t0=$SECONDS
listed() { mmcli -L 2>/dev/null | grep -q '/Modem/'; }
if vm_wait_for 120 listed; then
  vm_ok "ModemManager lists the modem"
  echo "# bench: ModemManager detection took $((SECONDS - t0)) s (TCG)"
else
  vm_not_ok "ModemManager lists the modem" "$(mmcli -L 2>&1 | tr '\n' ';')"
fi
m="$(vm_modem_ids | head -1)"
modem() { vm_modem "$m"; }

# What ModemManager makes of the module.
info="$(modem)"
printf '%s\n' "$info" >"$VM_RESULTS/mmcli-m.txt"
printf '%s\n' "$info" | head -40 | sed 's/^/#   /'
vm_check "manufacturer Sierra Wireless" grep -q "manufacturer: Sierra Wireless" <<<"$info"
vm_check "model EM7305" grep -q "model: EM7305" <<<"$info"
vm_check "firmware revision from the profile" grep -q "revision: $(pv revision | cut -d' ' -f1)" <<<"$info"
vm_check "equipment id is the IMEI" grep -q "equipment id: $(pv imei)" <<<"$info"
vm_check "plugin sierra" grep -q "plugin: sierra" <<<"$info"
vm_check "QMI primary port cdc-wdm0" grep -q "primary port: cdc-wdm0" <<<"$info"
vm_check "ports list the QMI port" grep -q "cdc-wdm0 (qmi)" <<<"$info"
vm_check "ports list an AT port" grep -qE "ttyUSB[0-9] \(at\)" <<<"$info"
sim="$(modem | sed -n 's|.*primary sim path: .*/SIM/\([0-9]*\).*|\1|p')"
vm_check "modem is locked (sim-pin)" grep -q "lock: sim-pin" <<<"$(modem)"

# PIN: wrong, then right.
out="$(mmcli -i "$sim" --pin=0000 2>&1 || true)"
vm_check "wrong PIN refused" grep -q "IncorrectPassword" <<<"$out"
vm_check "PIN retries dropped to 2" grep -q "sim-pin (2)" <<<"$(modem)"
vm_check "right PIN unlocks" mmcli -i "$sim" --pin=1234
unlocked() { ! grep -q "lock: sim-pin" <<<"$(modem)"; }
vm_check "modem no longer locked" vm_wait_for 30 unlocked

# Enable and register.
# Unlocked is not yet initialised: ModemManager refuses enable while the
# modem is "initializing".
initialised() { grep -qE '^ *\| +state: disabled' <<<"$(modem)"; }
vm_check "modem initialised (disabled)" vm_wait_for 60 initialised
vm_check "modem enables" mmcli -m "$m" -e
# Here-strings, not pipes: grep -q closing early would fail the pipeline.
registered() { grep -qE "state: (registered|connected)" <<<"$(modem)"; }
vm_check "modem reaches state registered" vm_wait_for 60 registered
info="$(modem)"
printf '%s\n' "$info" >"$VM_RESULTS/mm-registered.txt"
vm_check "access tech lte" grep -q "access tech: lte" <<<"$info"
vm_check "operator name from the profile" grep -q "operator name: $(pv operator_name)" <<<"$info"
vm_check "operator id 00101" grep -q "operator id: $(pv mcc)$(pv mnc)" <<<"$info"

# Messaging: WMS behind ModemManager's Messaging interface.
t_sms=$SECONDS
mm_messaging_checks "$m" "$bin" "$ctl_sock" "$events"
echo "# bench: messaging checks took $((SECONDS - t_sms)) s"

# Location: QMI LOC behind ModemManager's Location interface.
t_loc=$SECONDS
mm_location_checks "$m"
echo "# bench: location checks took $((SECONDS - t_loc)) s"

# Time: ModemManager 1.20 reads the network time with AT+CCLK? (after
# AT+CTZU=1) on the AT port, for QMI and MBIM modems alike.
t_time=$SECONDS
mm_time_check "$m" "$t_start"
echo "# bench: time check took $((SECONDS - t_time)) s"

# Connect.
vm_check "simple-connect apn=internet" mmcli -m "$m" --simple-connect="apn=internet,ip-type=ipv4"
connected() { grep -q "state: connected" <<<"$(modem)"; }
vm_check "modem reaches state connected" vm_wait_for 30 connected
b="$(modem | sed -n 's|.*Bearer/\([0-9]*\).*|\1|p' | tail -1)"
bearer="$(mmcli -b "$b" 2>&1)"
printf '%s\n' "$bearer" >"$VM_RESULTS/mm-bearer.txt"
printf '%s\n' "$bearer" | sed -n '/IPv4/,/Statistics/p' | sed 's/^/#   /'
apn_v4="$(sed -n 's/^ipv4-address = "\(.*\)"/\1/p' "$profile")"
apn_gw="$(sed -n 's/^ipv4-gateway = "\(.*\)"/\1/p' "$profile")"
vm_check "bearer connected" grep -q "connected: yes" <<<"$bearer"
vm_check "bearer IPv4 address $apn_v4" grep -q "address: $apn_v4" <<<"$bearer"
vm_check "bearer gateway $apn_gw" grep -q "gateway: $apn_gw" <<<"$bearer"
vm_check "bearer DNS" grep -q "dns: 10.64.0.53, 10.64.0.54" <<<"$bearer"
vm_check "bearer MTU 1500" grep -q "mtu: 1500" <<<"$bearer"

# Traffic through the modem, configured from the bearer as NetworkManager
# would: address, route, then ping, UDP echo and DNS to the simulated network.
vm_check "wwan0 in raw-IP mode, as ModemManager set it" grep -qx Y /sys/class/net/wwan0/qmi/raw_ip
prefix="$(sed -n 's/^ *| *prefix: \([0-9]*\).*/\1/p' <<<"$bearer" | head -1)"
vm_check "wwan0 up" ip link set wwan0 up
vm_check "wwan0 gets the bearer's address" ip addr add "$apn_v4/${prefix:-24}" dev wwan0
vm_check "route to the echo hosts via wwan0" ip route add 192.0.2.0/24 dev wwan0
ping_out="$(busybox ping -c 5 -W 3 "$apn_gw" 2>&1 || true)"
printf '%s\n' "$ping_out" | tail -2 | sed 's/^/#   /'
vm_check "ping the gateway: 5 replies" grep -q "5 packets transmitted, 5 packets received" <<<"$ping_out"
ping_out="$(busybox ping -c 5 -W 3 192.0.2.1 2>&1 || true)"
vm_check "ping 192.0.2.1 in the simulated network: 5 replies" grep -q "5 packets transmitted, 5 packets received" <<<"$ping_out"
udp_echo() {
  /usr/bin/python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"vmodem udp echo", ("192.0.2.7", 7))
data, _ = s.recvfrom(2048)
assert data == b"vmodem udp echo", data
PY
}
vm_check "UDP echo through the modem" udp_echo
dns_out="$(busybox nslookup gateway.vmodem.test 10.64.0.53 2>&1 || true)"
printf '%s\n' "$dns_out" | sed 's/^/#   /'
vm_check "DNS lookup through the modem" grep -q "Address: $apn_gw" <<<"$dns_out"
rx="$(cat /sys/class/net/wwan0/statistics/rx_packets)"
vm_check "wwan0 received packets ($rx)" test "$rx" -ge 12

# Signal polling.
# The model's signal moves every second; ModemManager polls every 2 s.
vm_check "signal-setup=2" mmcli -m "$m" --signal-setup=2
sleep 3
sig1="$(mmcli -m "$m" --signal-get 2>&1)"
sleep 3
sig2="$(mmcli -m "$m" --signal-get 2>&1)"
printf '%s\n' "$sig1" | sed -n '/LTE/,$p' | sed 's/^/#   /'
vm_check "signal-get shows LTE RSRP" grep -q "rsrp: -" <<<"$sig1"
vm_check "signal figures move over time" test "$sig1" != "$sig2"

# Disconnect; then a refused APN.
vm_check "simple-disconnect" mmcli -m "$m" --simple-disconnect
disconnected() { grep -q "state: registered" <<<"$(modem)"; }
vm_check "modem back to registered" vm_wait_for 30 disconnected
out="$(mmcli -m "$m" --simple-connect="apn=nope" 2>&1 || true)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "refused APN: missing or unknown APN" grep -qi "MissingOrUnknownApn\|unknown apn" <<<"$out"

# Allowed modes: 3G only re-registers on UMTS; back to 4G on LTE.
vm_check "set-allowed-modes=3g" mmcli -m "$m" --set-allowed-modes=3g
on_umts() { grep -qE "access tech: umts" <<<"$(modem)"; }
vm_check "re-registers on UMTS" vm_wait_for 30 on_umts
vm_check "set-allowed-modes=4g" mmcli -m "$m" --set-allowed-modes=4g
on_lte() { grep -qE "access tech: lte" <<<"$(modem)"; }
vm_check "back on LTE" vm_wait_for 30 on_lte

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
vm_check "ModemManager drops the modem when it leaves the bus" vm_wait_for 30 vm_modem_gone "$m"
vm_done
