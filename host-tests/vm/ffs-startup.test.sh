#!/usr/bin/env bash
# The FunctionFS data path carries the first packets of every start.
#
# Before the host configures the gadget, every read vmodem queues on an OUT
# endpoint fails at once (EAGAIN). A queue full of such failures, each
# waited out in turn, once held the QMI data endpoint for up to 8 s after
# the host had configured it: a bearer came up and its first packets went
# nowhere (4 of 9 starts in one run). Several starts in a row, each with
# UDP echoes right after the network starts, each echo given 3 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin="$PWD/target/release/vmodem"
starts=6

wdm_dev() { for d in /sys/class/usbmisc/cdc-wdm*; do [ -e "$d" ] && echo "/dev/${d##*/}" && return 0; done; return 1; }
wwan_if() { for d in /sys/class/net/*/qmi; do [ -d "$d" ] && basename "$(dirname "$d")" && return 0; done; return 1; }
no_modem() { ! wwan_if >/dev/null && ! wdm_dev >/dev/null; }
# echoes N: how many of N UDP echoes to the simulated network came back.
echoes() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
n = 0
for _ in range(int(sys.argv[1])):
    try:
        s.sendto(b"v" * 100, ("192.0.2.7", 7))
        s.recvfrom(2000)
        n += 1
    except OSError:
        pass
print(n)
EOF
}

vm_check "udev started" vm_start_udev
for i in $(seq "$starts"); do
  log="$VM_RESULTS/vmodem-ffs-startup-$i.log"
  "$bin" run --transport ffs >"$log" 2>&1 &
  pid=$!
  if ! vm_wait_for 30 wdm_dev; then
    vm_not_ok "start $i: host created a QMI control device" "$(tail -3 "$log" | tr '\n' ';')"
    kill -TERM "$pid" 2>/dev/null || true
    break
  fi
  udevadm settle --timeout=10 || true
  q="$(wdm_dev)" w="$(wwan_if || echo wwan0)"
  qmicli -d "$q" --uim-verify-pin=PIN1,1234 >/dev/null 2>&1 || true
  registered() { qmicli -d "$q" --nas-get-serving-system 2>/dev/null | grep -q "'registered'"; }
  vm_wait_for 30 registered || true
  ip link set "$w" down
  echo Y >"/sys/class/net/$w/qmi/raw_ip"
  qmicli -d "$q" --wda-set-data-format=link-layer-protocol=raw-ip >/dev/null 2>&1 || true
  qmicli -d "$q" --wds-start-network=apn=internet,ip-type=4 --client-no-release-cid >/dev/null 2>&1 || true
  ip link set "$w" up
  ip addr add 10.64.0.2/24 dev "$w"
  ip route add 192.0.2.0/24 dev "$w"
  n="$(echoes 3)"
  if [ "$n" = 3 ]; then
    vm_ok "start $i: 3 of 3 UDP echoes right after the network started"
  else
    vm_not_ok "start $i: 3 of 3 UDP echoes right after the network started" "$n came back"
    ip -s link show "$w" | sed 's/^/#   /'
    grep -v "vmodem::events" "$log" | tail -10 | sed 's/^/#   /'
  fi
  kill -TERM "$pid"
  vm_wait_for 10 sh -c "! kill -0 $pid" || vm_not_ok "start $i: vmodem exits on SIGTERM" "still running"
  vm_wait_for 20 no_modem || vm_not_ok "start $i: the modem is gone from the host" "still listed"
done
vm_done
