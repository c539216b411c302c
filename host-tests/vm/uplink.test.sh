#!/usr/bin/env bash
# The opt-in uplink and IPv6 neighbour discovery, through the real kernel.
#
# vmodem runs with --uplink tun:vmup0. The host's wwan0 moves into its own
# network namespace ("ue"), so the only way from it to anything is through
# the modem: a ping to 198.51.100.1, an address of vmup0 in the root
# namespace, must leave vmodem through the TUN device and its replies come
# back through it. An IPv6 bearer: wwan0 configures itself from vmodem's
# Router Advertisement (SLAAC), pings the gateway, and pings an address of
# vmup0 through the uplink too. Nothing leaves the VM (-nic none).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin="$PWD/target/release/vmodem"
log="$VM_RESULTS/vmodem-uplink.log"
q() { qmicli -d /dev/cdc-wdm0 "$@"; }
ue() { ip netns exec ue "$@"; }

vm_check "udev started" vm_start_udev
vm_modprobe tun 2>/dev/null || true
vm_check "/dev/net/tun present" vm_wait_path 10 /dev/net/tun
"$bin" run --transport ffs --uplink tun:vmup0 >"$log" 2>&1 &
pid=$!
vm_check "vmodem created vmup0" vm_wait_path 30 /sys/class/net/vmup0
vm_check "host created /dev/cdc-wdm0" vm_wait_path 30 /dev/cdc-wdm0

# "The internet": vmup0's side. Replies for the bearer go back into vmodem.
ip addr add 198.51.100.1/24 dev vmup0
ip -6 addr add 2001:db8:ff::1/64 dev vmup0 nodad
ip link set vmup0 up
ip route add 10.64.0.2/32 dev vmup0
ip -6 route add 2001:db8:64::/64 dev vmup0

vm_check "PIN entered" q --uim-verify-pin=PIN1,1234
registered() { q --nas-get-serving-system 2>/dev/null | grep -q "'registered'"; }
vm_check "registered" vm_wait_for 30 registered
ip link set wwan0 down
vm_check "raw IP on the host side" sh -c 'echo Y > /sys/class/net/wwan0/qmi/raw_ip'
vm_check "raw IP on the modem side" q --wda-set-data-format=link-layer-protocol=raw-ip
vm_check "IPv4 bearer started" q --wds-start-network=apn=internet,ip-type=4 --client-no-release-cid
vm_check "IPv6 bearer started" q --wds-start-network=apn=internet,ip-type=6 --client-no-release-cid

# wwan0 alone in its namespace: the modem is its only way out.
ip netns add ue
vm_check "wwan0 moved into namespace ue" ip link set wwan0 netns ue
ue ip link set lo up
ue sysctl -qw net.ipv6.conf.wwan0.disable_ipv6=0 net.ipv6.conf.wwan0.accept_ra=2
ue ip addr add 10.64.0.2/24 dev wwan0
ue ip link set wwan0 up
ue ip route add default dev wwan0

out="$(ue busybox ping -c 3 -W 5 198.51.100.1 2>&1 || true)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "ping 198.51.100.1 through the uplink: 3 replies" \
  grep -q "3 packets transmitted, 3 packets received" <<<"$out"
grep -q "3 packets transmitted, 3 packets received" <<<"$out" || {
  # What the data path looked like, for a failure that does not repeat.
  {
    set +e
    echo "vmodem processes:"; pgrep -a vmodem
    echo "control devices:"; ls /dev/cdc-wdm* 2>&1
    echo "interfaces:"; ls /sys/class/net; ue ip -s link show wwan0
    echo "USB:"; lsusb
    echo "vmodem log:"; grep -v DEBUG "$log" | tail -20
  } 2>&1 | sed 's/^/#   /' || true
}
vm_check "replies crossed the modem (ttl 63: one hop)" grep -q "ttl=63" <<<"$out"
tun_rx="$(cat /sys/class/net/vmup0/statistics/rx_packets)"
vm_check "vmup0 received what vmodem forwarded ($tun_rx)" test "$tun_rx" -ge 3
out="$(ue busybox ping -c 2 -W 5 10.64.0.1 2>&1 || true)"
vm_check "the simulated gateway still answers itself" \
  grep -q "2 packets transmitted, 2 packets received" <<<"$out"

# IPv6: the address comes from vmodem's Router Advertisement.
slaac() { ue ip -6 addr show dev wwan0 scope global | grep -q "inet6 2001:db8:64:"; }
vm_check "wwan0 formed an address from the RA's prefix" vm_wait_for 30 slaac
ue ip -6 addr show dev wwan0 | sed 's/^/#   /'
ue ip -6 route show dev wwan0 | sed 's/^/#   /'
vm_check "default route via the router's link-local address" \
  grep -q "default via fe80::1" <<<"$(ue ip -6 route show dev wwan0)"
vm_check "MTU from the RA" grep -qx 1500 <<<"$(ue sysctl -n net.ipv6.conf.wwan0.mtu)"
out="$(ue busybox ping -6 -c 3 -W 5 2001:db8:64::1 2>&1 || true)"
printf '%s\n' "$out" | tail -2 | sed 's/^/#   /'
vm_check "ping -6 the gateway: 3 replies" grep -q "3 packets transmitted, 3 packets received" <<<"$out"
out="$(ue busybox ping -6 -c 3 -W 5 2001:db8:ff::1 2>&1 || true)"
printf '%s\n' "$out" | tail -2 | sed 's/^/#   /'
vm_check "ping -6 2001:db8:ff::1 through the uplink: 3 replies" \
  grep -q "3 packets transmitted, 3 packets received" <<<"$out"

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
stats="$(grep "data path" "$log" || true)"
printf '%s\n' "$stats" | sed 's/^/#   /'
count() { sed -n "s/.*$1: \([0-9]*\).*/\1/p" <<<"$stats"; }
vm_check "vmodem counted >= 6 packets up ($(count uplink_packets))" test "$(count uplink_packets)" -ge 6
vm_check "vmodem counted >= 6 packets down ($(count downlink_packets))" test "$(count downlink_packets)" -ge 6
ip netns del ue
vm_done
