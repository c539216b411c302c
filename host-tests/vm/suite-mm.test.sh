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
vm_check "JUnit XML: 5 testcases, no failure (xml.etree)" vm_junit_counts "$junit" 5 0 0
vm_done
