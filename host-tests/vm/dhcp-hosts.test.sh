#!/usr/bin/env bash
# DHCP in 802.3 mode, the way hosts without ModemManager bring a bearer up:
# (a) libqmi's recipe, qmi-network with a profile file (APN=internet) then
# udhcpc on wwan0: the lease carries the bearer's address, router and DNS;
# the gateway pings and a name resolves through the simulated DNS.
# (b) A firmware reset (vmodem ctl reset), and a fresh start by oFono 1.31
# (no ModemManager running): it powers the modem, enters the PIN (locked
# again by the reset), goes online, activates an internet context, and
# udhcpc gets the address on wwan0 again; no request of oFono's is answered
# InvalidQmiCommand.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
vm_need qmi-network udhcpc ofonod busctl || true
bin="$PWD/target/release/vmodem"
sock=/tmp/vmodem-dhcp.sock
conf=/tmp/qmi-network-dhcp.conf
lease=/tmp/dhcp-lease
script=/tmp/dhcp-script
ctl() { "$bin" ctl --socket "$sock" "$@"; }
q() { qmicli -d /dev/cdc-wdm0 "$@"; }
qn() { qmi-network --profile="$conf" /dev/cdc-wdm0 "$1"; }
app_ready() { test -e /dev/cdc-wdm0 && test -e /sys/class/net/wwan0; }
registered() { q --nas-get-serving-system 2>/dev/null | grep -q "'registered'"; }
# bounce: ctl reset, then the next enumeration's cdc-wdm0 and wwan0.
enumerations() { dmesg | grep -c 'new high-speed USB device' || true; }
bounce() {
  local n
  n="$(enumerations)"
  ctl reset --down-ms 500 >/dev/null &&
    vm_wait_for 30 sh -c "[ \$(dmesg | grep -c 'new high-speed USB device') -gt $n ]" &&
    vm_wait_for 60 app_ready
}
t0=$SECONDS
mark() { echo "# bench: $1 done at $((SECONDS - t0)) s"; }

# udhcpc's script: writes what the lease carried, and sets the address.
cat >"$script" <<'EOF'
#!/bin/sh
case "$1" in bound | renew) ;; *) exit 0 ;; esac
ip addr flush dev "$interface"
ip addr add "$ip/$mask" dev "$interface"
echo "ip=$ip mask=$mask router=$router dns=$dns lease=$lease mtu=$mtu serverid=$serverid" >/tmp/dhcp-lease
EOF
chmod +x "$script"
printf 'APN=internet\n' >"$conf"

# dhcp WHAT: udhcpc on wwan0 gets the bearer's settings; the gateway pings.
dhcp() {
  rm -f "$lease"
  # qmi_wwan reads a frame whose first byte is 0x4_ or 0x6_ as a bare IP
  # packet, so in 802.3 mode the host's MAC (the destination of every
  # reply) must not start so. The kernel avoids such a MAC at bind, but
  # udev's MACAddressPolicy may give wwan0 one (about 1 boot in 8).
  case "$(cat /sys/class/net/wwan0/address)" in
    4* | 6*) ip link set wwan0 down && ip link set wwan0 address 02:00:5e:10:00:42 ;;
  esac
  ip link set wwan0 up
  vm_check "$1: udhcpc -i wwan0 gets a lease" \
    timeout 60 udhcpc -i wwan0 -n -q -t 5 -T 2 -s "$script"
  local got
  got="$(cat "$lease" 2>/dev/null || true)"
  echo "#   $got"
  # Without a lease: what wwan0 received and what the modem counted.
  [ -n "$got" ] || { ip -s link show wwan0; ctl status; } 2>&1 | sed 's/^/#   /'
  vm_check "$1: the bearer's address, prefix, router, DNS and lease time" grep -qx \
    "ip=10.64.0.2 mask=24 router=10.64.0.1 dns=10.64.0.53 10.64.0.54 lease=7200 mtu=1500 serverid=10.64.0.1" <<<"$got"
  vm_check "$1: ping the gateway" busybox ping -c 1 -W 5 10.64.0.1
}

vm_check "udev started" vm_start_udev
vm_stop_mm
vm_check "ModemManager not running (oFono and qmi-network own the modem)" sh -c '! pidof ModemManager'
rm -f "$sock"
"$bin" run --transport ffs --control "$sock" >"$VM_RESULTS/vmodem-dhcp.log" 2>&1 &
pid=$!
vm_check "cdc-wdm0 and wwan0 present" vm_wait_for 60 app_ready
vm_check "control socket answers" vm_wait_for 30 ctl status
mark "start"
# oFono starts now, its cost overlapping (a): it only registers the modem
# and leaves the device alone until it is powered.
start_bus() { vm_start_syslog && vm_start_dbus; }
vm_check "syslog and D-Bus started" start_bus
olog="$VM_RESULTS/ofonod.log"
# QMI traffic is logged at info level: no -d, which costs time under TCG.
OFONO_QMI_DEBUG=1 ofonod -n >"$olog" 2>&1 &
opid=$!

# (a) qmi-network + udhcpc.
vm_check "PIN entered" q --uim-verify-pin=PIN1,1234
vm_check "registered" vm_wait_for 30 registered
vm_check "qmi-network start (APN from the profile file)" qn start
dhcp "qmi-network"
out="$(busybox nslookup gateway.vmodem.test 10.64.0.53 2>&1 || true)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "DNS lookup through the simulated network" grep -qE "Address:[[:space:]]*10\.64\.0\.1$" <<<"$out"

# (b) after a firmware reset (SIM locked again), oFono's fresh start.
mark "qmi-network"
vm_check "ctl reset: back on the bus" bounce
ob() { busctl --system --timeout=60 call org.ofono "$@"; }
modem_path() { ob / org.ofono.Manager GetModems | sed -n 's/^a(oa{sv}) [1-9][0-9]* "\([^"]*\)".*/\1/p'; }
listed() { test -n "$(modem_path)"; }
if vm_wait_for 60 listed; then
  vm_ok "oFono lists the modem"
else
  vm_not_ok "oFono lists the modem" "not within 60 s"
  # What oFono depends on: udev's events, and no other stack on the modem.
  echo "#   udevd: $(pgrep -a systemd-udevd | head -1); others: $(pidof ModemManager NetworkManager mbim-proxy qmi-proxy)"
  echo "#   udev: $(udevadm info -q property -n /dev/cdc-wdm0 2>&1 | grep -cE 'ID_USB_(DRIVER|INTERFACE_NUM)') USB properties on cdc-wdm0"
fi
mark "oFono found the modem"
m="$(modem_path)"
echo "#   modem: $m"
has() { ob "$1" "$2" GetProperties | grep -q "$3"; }
vm_check "oFono powers the modem" ob "$m" org.ofono.Modem SetProperty sv Powered b true
vm_check "the SIM asks for the PIN" vm_wait_for 30 has "$m" org.ofono.SimManager '"PinRequired" s "pin"'
vm_check "oFono enters the PIN" ob "$m" org.ofono.SimManager EnterPin ss pin 1234
vm_check "oFono sets the modem online" ob "$m" org.ofono.Modem SetProperty sv Online b true
vm_check "registered (oFono)" vm_wait_for 60 has "$m" org.ofono.NetworkRegistration '"Status" s "registered"'
# On LTE oFono counts as attached once it has taken over the default
# bearer: it reads the LTE attach parameters and starts its context with a
# bare Start Network. oFono 1.31 races itself there: when registration
# comes before its context atom has finished its WDA set-up, that Start
# Network is never sent. The network then detaches and re-attaches the
# module, and oFono reads the default bearer again.
attached() { has "$m" org.ofono.ConnectionManager '"Attached" b true'; }
if ! vm_wait_for 8 attached; then
  echo "#   oFono missed the LTE default bearer: the network re-attaches"
  ctl fault '{"fault":"deregister"}' >/dev/null || true
fi
vm_check "packet attached (oFono)" vm_wait_for 60 attached
ctx="$(ob "$m" org.ofono.ConnectionManager GetContexts | grep -o "\"$m/context[0-9]*\"" | head -1 | tr -d '"')"
[ -n "$ctx" ] || ctx="$(ob "$m" org.ofono.ConnectionManager AddContext s internet | sed -n 's/^o "\(.*\)"/\1/p')"
echo "#   context: $ctx"
mark "oFono attached"
apn_set() { has "$ctx" org.ofono.ConnectionContext '"AccessPointName" s "internet"'; }
apn_set || ob "$ctx" org.ofono.ConnectionContext SetProperty sv AccessPointName s internet
vm_check "context APN internet" apn_set
active() { has "$ctx" org.ofono.ConnectionContext '"Active" b true'; }
active || ob "$ctx" org.ofono.ConnectionContext SetProperty sv Active b true || true
vm_check "context active" vm_wait_for 30 active
vm_check "context active on wwan0" vm_wait_for 30 has "$ctx" org.ofono.ConnectionContext '"Interface" s "wwan0"'
ob "$ctx" org.ofono.ConnectionContext GetProperties | sed 's/^/#   /'
mark "oFono context active"
dhcp "oFono, after the reset"
mark "oFono DHCP"
vm_check "oFono's log has its QMI traffic" grep -q "QMI: .*_req msg=75" "$olog"
vm_check "no request of oFono's answered InvalidQmiCommand" sh -c "! grep -E 'INVALID_QMI_CMD|Reset profile error' '$olog'"

kill "$opid" 2>/dev/null || true
wait "$opid" 2>/dev/null || true
kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
vm_done
