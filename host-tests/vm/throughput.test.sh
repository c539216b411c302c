#!/usr/bin/env bash
# Benchmark: UDP through wwan0 to vmodem's simulated network, over each USB
# transport in turn, beside the same measurement over a veth pair in the
# same VM. Four figures per path: UDP echo (a window of 1400-byte datagrams
# in flight to port 7) and UDP one-way (as fast as the socket takes them,
# counted as they leave the interface) to the simulated network, and bulk
# TCP up and down to a server behind the modem's TUN uplink (the simulated
# network terminates no TCP): vmup0 sits in its own namespace "inet", so
# the connection crosses wwan0, vmodem and the TUN device. Each figure is
# the median of $runs runs of $secs s.
# Under TCG the absolute numbers mean little; the ratio to veth is the
# figure. Printed as "# bench:" lines, never asserted beyond "traffic flowed".
#
# The transports: VMODEM_BENCH_TRANSPORTS (default "ffs gadgetfs usbip").
# GadgetFS is a hook: it runs once the binary offers `--transport gadgetfs`
# and is a counted SKIP until then.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need python3 qmicli usbip || true
bin="$PWD/target/release/vmodem"
bench="host-tests/vm/udp_echo_bench.py"
tcp_bench="host-tests/vm/tcp_bulk_bench.py"
runs=3 secs=1.5
transports="${VMODEM_BENCH_TRANSPORTS:-ffs gadgetfs usbip}"

# median MODE HOST IFACE: the median of $runs runs of the bench (echo to
# port 7, one-way to port 9, which the modem drops and counts); every
# run goes to the log.
median() {
  local port=7 out
  [ "$1" = echo ] || port=9
  out="$(/usr/bin/python3 "$bench" "$1" "$2" "$port" "$secs" "$runs" "$3" || echo 0)"
  echo "$1 $2: $out" >>"$VM_RESULTS/throughput-runs.log"
  echo "${out%% *}"
}
# tcp_median up|down HOST: the median of $runs bulk TCP runs to the server
# on HOST port 5001.
tcp_median() {
  local out
  out="$(/usr/bin/python3 "$tcp_bench" "$1" "$2" 5001 "$secs" "$runs" || echo 0)"
  echo "tcp $1 $2: $out" >>"$VM_RESULTS/throughput-runs.log"
  echo "${out%% *}"
}
# tcp_server NETNS ADDR: the bulk TCP server on ADDR port 5001 in NETNS,
# in the background ($tcp_pid). listening NETNS t|u ADDR:PORT: a TCP or
# UDP server in NETNS listens there (Python starts slowly under TCG).
tcp_server() {
  ip netns exec "$1" /usr/bin/python3 "$tcp_bench" serve "$2" 5001 &
  tcp_pid=$!
}
listening() { ip netns exec "$1" ss -l"$2"n | grep -q "$3 "; }
# CPU time (user + system, clock ticks) of process $1, and packets both
# ways through interface $1: vmodem's CPU per packet of the echo runs.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
if_packets() { echo $(($(cat "/sys/class/net/$1/statistics/rx_packets") + $(cat "/sys/class/net/$1/statistics/tx_packets"))); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
flowed() { awk -v a="$1" 'BEGIN { exit !(a > 0) }'; }

# The network device and control device qmi_wwan made, whatever their number.
wwan_if() { for d in /sys/class/net/*/qmi; do [ -d "$d" ] && basename "$(dirname "$d")" && return 0; done; return 1; }
wdm_dev() { for d in /sys/class/usbmisc/cdc-wdm*; do [ -e "$d" ] && echo "/dev/${d##*/}" && return 0; done; return 1; }
no_modem() { ! wwan_if >/dev/null && ! wdm_dev >/dev/null; }

vm_check "udev started" vm_start_udev
vm_modprobe tun 2>/dev/null || true
vm_check "/dev/net/tun present" vm_wait_path 10 /dev/net/tun

# How much slower TCG runs plain user code than the machine it runs on:
# the same loop timed there (docs/data-path.md) gives the factor.
loop_s="$(/usr/bin/python3 -c 'import time; t = time.perf_counter(); sum(range(3_000_000)); print(f"{time.perf_counter() - t:.2f}")')"
echo "# bench: reference loop (sum of range(3e6) in Python) $loop_s s (TCG)"

# veth first: the reference every transport is compared with. The peer
# echoes on port 7; on port 9 a socket that is never read takes the
# one-way datagrams (bound, so no ICMP unreachable comes back).
ip netns add peer
ip link add vb0 type veth peer name vb1
ip link set vb1 netns peer
ip addr add 10.99.0.1/30 dev vb0
ip link set vb0 up
ip -n peer addr add 10.99.0.2/30 dev vb1
ip -n peer link set vb1 up
ip -n peer link set lo up
# One TCP segment per packet, as through wwan0 (usbnet offloads no
# segmentation): veth would otherwise carry 64 KiB super-packets.
vm_check "veth: one TCP segment per packet" sh -c \
  'ip link set vb0 gso_max_segs 1 && ip -n peer link set vb1 gso_max_segs 1'
ip netns exec peer /usr/bin/python3 -c '
import socket, time
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(("10.99.0.2", 9))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 7))
while True:
    d, a = s.recvfrom(4096)
    s.sendto(d, a)
' &
echo_pid=$!
tcp_server peer 10.99.0.2
veth_servers() { listening peer u 10.99.0.2:7 && listening peer t 10.99.0.2:5001; }
vm_check "veth: UDP echo and TCP servers listening" vm_wait_for 30 veth_servers
veth_echo="$(median echo 10.99.0.2 vb0)"
veth_oneway="$(median oneway 10.99.0.2 vb0)"
veth_up="$(tcp_median up 10.99.0.2)"
veth_down="$(tcp_median down 10.99.0.2)"
kill "$echo_pid" "$tcp_pid" 2>/dev/null || true
ip netns del peer
echo "# bench: veth: UDP echo $veth_echo Mbit/s, UDP one-way $veth_oneway Mbit/s (1400-byte datagrams, median of $runs x $secs s, TCG)"
echo "# bench: veth: TCP up $veth_up Mbit/s, TCP down $veth_down Mbit/s (bulk, one segment per packet, median of $runs x $secs s, TCG)"
vm_check "traffic flowed through veth" flowed "$veth_echo"
vm_check "TCP flowed through veth" flowed "$veth_up"

# One transport: the modem up, a bearer in raw IP, the two figures, the
# modem gone again.
bench_transport() {
  local t="$1" pid q wwan echo_rate oneway_rate up_rate down_rate srv
  local log="$VM_RESULTS/vmodem-throughput-$t.log"
  case "$t" in
    ffs)
      "$bin" run --transport ffs --uplink tun:vmup0 >"$log" 2>&1 &
      pid=$!
      ;;
    usbip)
      vm_modprobe vhci_hcd || true
      "$bin" run --transport usbip --composition qmi --uplink tun:vmup0 >"$log" 2>&1 &
      pid=$!
      vm_check "usbip: vmodem listens" vm_wait_for 20 sh -c 'ss -ltn | grep -q "127.0.0.1:3240 "'
      vm_check "usbip: attach" usbip attach -r 127.0.0.1 -b 1-1
      ;;
    gadgetfs)
      # Hook: the GadgetFS transport runs as the others do once the
      # binary has it (it brings up its own gadget on the UDC).
      if ! "$bin" run --help 2>&1 | grep -qw gadgetfs; then
        vm_skip "gadgetfs: UDP through wwan0" "this vmodem has no GadgetFS transport"
        return 0
      fi
      mkdir -p /dev/gadget
      mountpoint -q /dev/gadget || vm_check "gadgetfs: mounted at /dev/gadget" mount -t gadgetfs gadgetfs /dev/gadget
      "$bin" run --transport gadgetfs --composition qmi --uplink tun:vmup0 >"$log" 2>&1 &
      pid=$!
      ;;
    *)
      vm_not_ok "transport '$t' known to the benchmark"
      return 0
      ;;
  esac
  vm_check "$t: host created a QMI control device" vm_wait_for 30 wdm_dev
  udevadm settle --timeout=10 || true
  q="$(wdm_dev || echo /dev/cdc-wdm0)"
  wwan="$(wwan_if || echo wwan0)"
  vm_check "$t: PIN entered" qmicli -d "$q" --uim-verify-pin=PIN1,1234
  registered() { qmicli -d "$q" --nas-get-serving-system 2>/dev/null | grep -q "'registered'"; }
  vm_check "$t: registered" vm_wait_for 30 registered
  ip link set "$wwan" down
  vm_check "$t: raw IP on the host side" sh -c "echo Y > /sys/class/net/$wwan/qmi/raw_ip"
  vm_check "$t: raw IP on the modem side" qmicli -d "$q" --wda-set-data-format=link-layer-protocol=raw-ip
  vm_check "$t: network started" qmicli -d "$q" --wds-start-network=apn=internet,ip-type=4 --client-no-release-cid
  ip link set "$wwan" up
  ip addr add 10.64.0.2/24 dev "$wwan"
  ip route add 192.0.2.0/24 dev "$wwan"
  local t0 p0 cpu
  t0="$(cpu_ticks "$pid")" p0="$(if_packets "$wwan")"
  echo_rate="$(median echo 192.0.2.7 "$wwan")"
  cpu="$(awk -v t="$(($(cpu_ticks "$pid") - t0))" -v p="$(($(if_packets "$wwan") - p0))" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (p > 0) printf "%.0f", t * 1e6 / hz / p; else print "n/a" }')"
  oneway_rate="$(median oneway 192.0.2.7 "$wwan")"
  echo "# bench: $t: vmodem CPU $cpu us per packet during the echo runs (user + system, TCG)"
  echo "# bench: $t: UDP echo $echo_rate Mbit/s (veth $veth_echo, ratio $(ratio "$echo_rate" "$veth_echo")), UDP one-way $oneway_rate Mbit/s (veth $veth_oneway, ratio $(ratio "$oneway_rate" "$veth_oneway")) (1400-byte datagrams, median of $runs x $secs s, TCG)"
  vm_check "$t: UDP echo traffic flowed through $wwan" flowed "$echo_rate"
  vm_check "$t: UDP one-way traffic left through $wwan" flowed "$oneway_rate"
  # Bulk TCP to a server behind the uplink: vmup0 in namespace "inet",
  # so the kernel cannot shortcut past the modem.
  ip netns add inet
  vm_check "$t: vmodem created vmup0" vm_wait_path 10 /sys/class/net/vmup0
  vm_check "$t: vmup0 moved into namespace inet" ip link set vmup0 netns inet
  ip -n inet link set lo up
  ip -n inet addr add 198.51.100.1/24 dev vmup0
  ip -n inet link set vmup0 up
  ip -n inet route add 10.64.0.2/32 dev vmup0
  ip route add 198.51.100.0/24 dev "$wwan"
  tcp_server inet 198.51.100.1
  srv=$tcp_pid
  vm_check "$t: TCP server listening behind the uplink" vm_wait_for 30 listening inet t 198.51.100.1:5001
  up_rate="$(tcp_median up 198.51.100.1)"
  down_rate="$(tcp_median down 198.51.100.1)"
  kill "$srv" 2>/dev/null || true
  echo "# bench: $t: TCP up $up_rate Mbit/s (veth $veth_up, ratio $(ratio "$up_rate" "$veth_up")), TCP down $down_rate Mbit/s (veth $veth_down, ratio $(ratio "$down_rate" "$veth_down")) (bulk through the TUN uplink, median of $runs x $secs s, TCG)"
  vm_check "$t: TCP up crossed the modem" flowed "$up_rate"
  vm_check "$t: TCP down crossed the modem" flowed "$down_rate"
  kill -TERM "$pid"
  vm_check "$t: vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
  vm_check "$t: the modem is gone from the host" vm_wait_for 20 no_modem
  ip netns del inet
}

for t in $transports; do
  bench_transport "$t"
done
! mountpoint -q /dev/gadget || umount /dev/gadget
vm_done
