#!/usr/bin/env bash
# `vmodem suite run` against ModemManager 1.20 over USB (FunctionFS on
# dummy_hcd): suites/modemmanager.toml passes, and its JUnit XML reads
# back with Python's xml.etree with the expected counts.
# Needs target/release/vmodem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need python3 || true
bin="$PWD/target/release/vmodem"
junit="$VM_RESULTS/suite-mm.xml"
report="$VM_RESULTS/suite-mm"

vm_check "udev, D-Bus and ModemManager started" vm_start_stack
t0=$SECONDS
vm_check "suite modemmanager.toml passes against ModemManager" \
  "$bin" suite run suites/modemmanager.toml --transport ffs --junit "$junit" --report "$report"
echo "# bench: the suite took $((SECONDS - t0)) s"
sed 's/^/#   /' "$report/summary.json" | grep -E '"(name|outcome|seen|control-open-ms|registered-ms)"' | head -40 || true
counts() {
  python3 - "$junit" <<'PY'
import sys
import xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
failed = [c.get("name") for c in cases if c.find("failure") is not None]
skipped = [c for c in cases if c.find("skipped") is not None]
print("tests", len(cases), "failures", len(failed), "skipped", len(skipped), failed)
sys.exit(0 if (len(cases), len(failed), len(skipped)) == (5, 0, 0) and root.get("tests") == "5" else 1)
PY
}
vm_check "JUnit XML: 5 testcases, no failure (xml.etree)" counts
vm_done
