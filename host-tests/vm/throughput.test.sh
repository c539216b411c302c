#!/usr/bin/env bash
# Benchmark: UDP echo throughput through wwan0 to vmodem's simulated network,
# beside the same measurement over a veth pair in the same VM. Under TCG the
# absolute numbers mean little; the ratio is the figure. Printed, never asserted
# beyond "traffic flowed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need python3 || true
bin="$PWD/target/release/vmodem"
q() { qmicli -d /dev/cdc-wdm0 "$@"; }

vm_check "udev started" vm_start_udev
"$bin" run --transport ffs >"$VM_RESULTS/vmodem-throughput.log" 2>&1 &
pid=$!
vm_check "host created /dev/cdc-wdm0" vm_wait_path 30 /dev/cdc-wdm0
vm_check "PIN entered" q --uim-verify-pin=PIN1,1234
registered() { q --nas-get-serving-system 2>/dev/null | grep -q "'registered'"; }
vm_check "registered" vm_wait_for 30 registered
ip link set wwan0 down
vm_check "raw IP on the host side" sh -c 'echo Y > /sys/class/net/wwan0/qmi/raw_ip'
vm_check "raw IP on the modem side" q --wda-set-data-format=link-layer-protocol=raw-ip
vm_check "network started" q --wds-start-network=apn=internet,ip-type=4 --client-no-release-cid
ip link set wwan0 up
ip addr add 10.64.0.2/24 dev wwan0
ip route add 192.0.2.0/24 dev wwan0

wwan="$(/usr/bin/python3 host-tests/vm/udp_echo_bench.py 192.0.2.7 7 4)"

# The same over a veth pair into a namespace with a UDP echo server.
ip netns add peer
ip link add vb0 type veth peer name vb1
ip link set vb1 netns peer
ip addr add 10.99.0.1/30 dev vb0
ip link set vb0 up
ip -n peer addr add 10.99.0.2/30 dev vb1
ip -n peer link set vb1 up
ip -n peer link set lo up
ip netns exec peer /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 7))
while True:
    d, a = s.recvfrom(4096)
    s.sendto(d, a)
' &
echo_pid=$!
sleep 1
veth="$(/usr/bin/python3 host-tests/vm/udp_echo_bench.py 10.99.0.2 7 4)"
kill "$echo_pid" 2>/dev/null || true
ip netns del peer

ratio="$(awk -v a="$wwan" -v b="$veth" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
echo "# bench: UDP echo (1400-byte datagrams, window 32, 4 s): wwan0 $wwan Mbit/s, veth $veth Mbit/s, ratio $ratio (TCG)"
vm_check "traffic flowed through wwan0" awk -v a="$wwan" 'BEGIN { exit !(a > 0) }'
kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
vm_done
