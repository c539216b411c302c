#!/usr/bin/env bash
# `vmodem suite run suites/ofono.toml` against oFono 1.31 alone over USB
# (FunctionFS on dummy_hcd): oFono enables the modem, enters the PIN, goes
# online and activates the internet context; DHCP on wwan0 and a pinger
# carry traffic (host-tests/vm/suite-ofono-host.sh is the host under
# test). The JUnit XML reads back with Python's xml.etree with the
# expected counts. Needs target/release/vmodem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
vm_need python3 ofonod busctl udhcpc busybox || true
bin="$PWD/target/release/vmodem"
junit="$VM_RESULTS/suite-ofono.xml"
report="$VM_RESULTS/suite-ofono"
rm -rf "$report" "$junit"

start_bus() { vm_start_udev && vm_start_syslog && vm_start_dbus; }
vm_check "udev, syslog and D-Bus started" start_bus
# ModemManager (and NetworkManager on it) would take the modem from oFono.
vm_stop_mm
for p in $(pidof ModemManager NetworkManager 2>/dev/null); do kill "$p"; done
vm_check "ModemManager and NetworkManager not running" vm_wait_for 10 sh -c '! pidof ModemManager NetworkManager'
t0=$SECONDS
vm_check "suite ofono.toml passes against oFono" \
  "$bin" suite run suites/ofono.toml --transport ffs --host "$PWD/host-tests/vm/suite-ofono-host.sh" \
  --junit "$junit" --report "$report"
echo "# bench: the suite took $((SECONDS - t0)) s"
hostlog="$(ls "$report"/*/run-1/host.log 2>/dev/null | head -1)"
grep -v "^ofonod: " "$hostlog" 2>/dev/null | cut -c1-160 | sed 's/^/#   /' || true
vm_check "oFono's context is active (host.log)" grep -q "ok: context active" "$hostlog"
vm_check "DHCP lease from the module (host.log)" grep -q "lease: ip=10.64.0.2 mask=24 router=10.64.0.1" "$hostlog"
vm_check "oFono's log has its QMI traffic" grep -q "QMI: .*_req msg=" "$hostlog"
vm_check "no request of oFono's answered InvalidQmiCommand" sh -c "! grep -E 'INVALID_QMI_CMD|Reset profile error' '$hostlog'"
vm_check "JUnit XML: 8 testcases, no failure (xml.etree)" vm_junit_counts "$junit" 8 0 0
# vmodem stops the host's process group at the case's end; ofonod may
# still be shutting down (or orphaned): nothing of it may reach the next
# file, which batch.sh does not clean up after.
gone() { ! pidof ofonod >/dev/null; }
stop_ofono() {
  for p in $(pidof ofonod 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  vm_wait_for 10 gone && return 0
  for p in $(pidof ofonod 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  vm_wait_for 5 gone
}
vm_check "ofonod stopped" stop_ofono
vm_done
