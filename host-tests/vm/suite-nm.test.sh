#!/usr/bin/env bash
# `vmodem suite run suites/networkmanager.toml` against NetworkManager 1.42
# on top of ModemManager 1.20 over USB (FunctionFS on dummy_hcd): three
# firmware resets in a row, each followed by the stack unlocking the SIM,
# reconnecting on APN internet and carrying the pinger's traffic with no
# user action (host-tests/vm/suite-nm-host.sh is the host under test).
# The JUnit XML reads back with Python's xml.etree with the expected
# counts, and the summary holds three recoveries and their spread.
# Needs target/release/vmodem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
vm_need python3 NetworkManager busybox || true
bin="$PWD/target/release/vmodem"
junit="$VM_RESULTS/suite-nm.xml"
report="$VM_RESULTS/suite-nm"
rm -rf "$report" "$junit"

# oFono would take the modem from ModemManager.
for p in $(pidof ofonod 2>/dev/null); do kill "$p"; done
cleanup() { rm -f /run/NetworkManager/system-connections/vmodem.nmconnection; }
trap cleanup EXIT
vm_check "udev, D-Bus and ModemManager started" vm_start_stack
t0=$SECONDS
vm_check "suite networkmanager.toml passes against NetworkManager and ModemManager" \
  "$bin" suite run suites/networkmanager.toml --transport ffs --host "$PWD/host-tests/vm/suite-nm-host.sh" \
  --junit "$junit" --report "$report"
echo "# bench: the suite took $((SECONDS - t0)) s"
grep -h -E "pinger|<info>.*(state change|Activation|unlock|modem-broadband)" "$report"/*/run-1/host.log 2>/dev/null |
  cut -c1-160 | tail -40 | sed 's/^/#   /' || true
vm_check "JUnit XML: 8 testcases, no failure (xml.etree)" vm_junit_counts "$junit" 8 0 0
spread() {
  python3 - "$report/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
c = s["cases"][0]
sp = c["recovery-spread"]
print(json.dumps(sp))
for r in c["runs"][0]["recoveries"]:
    print(json.dumps(r))
assert sp["rejoins"] == 3, sp
for k in ("control-open", "data-flowing"):
    assert sp[k]["n"] == 3 and sp[k]["min-ms"] <= sp[k]["median-ms"] <= sp[k]["max-ms"], (k, sp[k])
PY
}
vm_check "summary.json: three recoveries, control and data times with their spread" spread
vm_done
