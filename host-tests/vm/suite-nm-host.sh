#!/bin/sh
# The host under test of suites/networkmanager.toml (vmodem suite run
# --host): NetworkManager 1.42 on top of the ModemManager the test script
# started, with a stored gsm connection that autoconnects on APN
# "internet" and holds the SIM's PIN, and beside it a pinger (one ping to
# the gateway every half second, whether or not a route exists). NM alone
# sends nothing over wwan0 once connected; the pinger is the user's
# traffic the suite's "sends packets" expectations measure. Both run in
# the process group that vmodem stops at the case's end.
set -u
conns=/run/NetworkManager/system-connections
# The root is read-only in the VM: NM reads runtime keyfiles from /run and
# keeps its state in /var/lib (a tmpfs there).
mkdir -p "$conns" /var/lib/NetworkManager
umask 077
cat >"$conns/vmodem.nmconnection" <<'KEY'
[connection]
id=vmodem
type=gsm
autoconnect=true

[gsm]
apn=internet
pin=1234

[ipv4]
method=auto

[ipv6]
method=ignore
KEY
NetworkManager --no-daemon --log-level=INFO &
was=
while :; do
  if busybox ping -c 1 -W 1 10.64.0.1 >/dev/null 2>&1; then now=answers; else now=silent; fi
  [ "$now" = "$was" ] || echo "$(date +%T.%N | cut -c1-12) pinger: the gateway $now"
  was=$now
  sleep 0.5
done
