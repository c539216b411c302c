#!/usr/bin/env bash
# The host under test of suites/ofono.toml (vmodem suite run --host):
# oFono 1.31 alone (no ModemManager), started once the module's QMI and
# network ports exist, and driven as a user would with its test scripts (ofono-scripts): enable the
# modem, enter the PIN, put it online, activate the internet context;
# then, as the context's settings ask (Method=dhcp on wwan0), DHCP on
# wwan0 and a pinger to the gateway. busctl reads the properties between
# the steps.
# Each step's outcome is a line in host.log; the suite judges what the
# modem saw. Everything runs in the process group vmodem stops at the
# case's end.
set -u
scripts=/usr/share/ofono/scripts
t0=$SECONDS
say() { echo "[$((SECONDS - t0)) s] $*"; }
ob() { busctl --system --timeout=30 call org.ofono "$@"; }
# wait_for SECONDS CMD...: polls CMD every 0.2 s.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
has() { ob "$1" "$2" GetProperties | grep -q "$3"; }
step() {
  local what="$1"
  shift
  if "$@"; then say "ok: $what"; else say "FAILED: $what"; return 1; fi
}

# ofonod finds the module as it starts (udev's enumeration); started
# before the module was plugged in, it missed the hotplug event at times.
ports() { test -e /dev/cdc-wdm0 && test -e /sys/class/net/wwan0; }
step "the module's ports exist" wait_for 30 ports || exit 1
udevadm settle --timeout=10
# QMI traffic at info level (no -d: debug logging costs time under TCG).
OFONO_QMI_DEBUG=1 ofonod -n 2>&1 | sed -u 's/^/ofonod: /' &
modem_path() { ob / org.ofono.Manager GetModems | sed -n 's/^a(oa{sv}) [1-9][0-9]* "\([^"]*\)".*/\1/p'; }
listed() { test -n "$(modem_path)"; }
step "oFono lists the modem" wait_for 60 listed || exit 1
m="$(modem_path)"
say "modem $m"
step "enable-modem" "$scripts/enable-modem" "$m" || exit 1
step "the SIM asks for the PIN" wait_for 30 has "$m" org.ofono.SimManager '"PinRequired" s "pin"' || exit 1
step "enter-pin" "$scripts/enter-pin" "$m" pin 1234 || exit 1
step "online-modem" "$scripts/online-modem" "$m" || exit 1
step "registered" wait_for 60 has "$m" org.ofono.NetworkRegistration '"Status" s "registered"' || exit 1
# On LTE oFono counts as attached once it has read the default bearer
# (WDS Get LTE Attach Parameters after the data system status report).
attached() { has "$m" org.ofono.ConnectionManager '"Attached" b true'; }
step "attached" wait_for 45 attached || exit 1
ctx="$(ob "$m" org.ofono.ConnectionManager GetContexts | grep -o "\"$m/context[0-9]*\"" | head -1 | tr -d '"')"
[ -n "$ctx" ] || ctx="$(ob "$m" org.ofono.ConnectionManager AddContext s internet | sed -n 's/^o "\(.*\)"/\1/p')"
say "context $ctx"
apn_set() { has "$ctx" org.ofono.ConnectionContext '"AccessPointName" s "internet"'; }
apn_set || ob "$ctx" org.ofono.ConnectionContext SetProperty sv AccessPointName s internet
step "APN internet" apn_set || exit 1
active() { has "$ctx" org.ofono.ConnectionContext '"Active" b true'; }
# On LTE the default bearer may have activated it already.
active || "$scripts/activate-context" "$m" 1
step "context active" wait_for 30 active || exit 1
ob "$ctx" org.ofono.ConnectionContext GetProperties | tr -s ' ' | sed 's/^/settings: /'
step "context on wwan0" has "$ctx" org.ofono.ConnectionContext '"Interface" s "wwan0"'
# qmi_wwan reads a frame whose first byte is 0x4_ or 0x6_ as a bare IP
# packet, so in 802.3 mode the host's MAC must not start so (udev's
# MACAddressPolicy may give wwan0 one).
case "$(cat /sys/class/net/wwan0/address)" in
  4* | 6*) ip link set wwan0 down && ip link set wwan0 address 02:00:5e:10:00:42 ;;
esac
ip link set wwan0 up
script=/tmp/suite-ofono-dhcp
cat >"$script" <<'DHCP'
#!/bin/sh
case "$1" in bound | renew) ;; *) exit 0 ;; esac
ip addr flush dev "$interface"
ip addr add "$ip/$mask" dev "$interface"
echo "lease: ip=$ip mask=$mask router=$router dns=$dns"
DHCP
chmod +x "$script"
step "DHCP lease on wwan0" timeout 30 udhcpc -i wwan0 -n -q -t 5 -T 2 -s "$script"
was=
while :; do
  if busybox ping -c 1 -W 1 10.64.0.1 >/dev/null 2>&1; then now=answers; else now=silent; fi
  [ "$now" = "$was" ] || say "pinger: the gateway $now"
  was=$now
  sleep 0.5
done
