#!/usr/bin/env bash
# The pty tier's qmicli tests again, this time through the kernel: each test
# starts vmodem as a USB gadget and talks to /dev/cdc-wdm0 (qmi_wwan +
# cdc_wdm), so the same actions must give the same answers over USB.
# Needs the pty test binary (scripts/test.sh writes its path to
# target/vm/pty-tests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

list="$PWD/target/vm/pty-tests"
vm_check "pty test binary known" test -s "$list"
bin="$(cat "$list" 2>/dev/null || true)"
vm_check "udev started" vm_start_udev

# The AT/DM tests open their ports as ptys, which the gadget does not make.
VMODEM_TRANSPORT=ffs "$bin" --test-threads=1 --skip at:: >"$VM_RESULTS/qmicli-gadget.log" 2>&1 || true
grep -E '^test .* \.\.\. ' "$VM_RESULTS/qmicli-gadget.log" | while read -r _ name _ result; do
  if [ "$result" = ok ]; then echo "ok - over USB: $name"; else echo "not ok - over USB: $name"; fi
done
passed="$(grep -cE '^test .* \.\.\. ok$' "$VM_RESULTS/qmicli-gadget.log" || true)"
failed="$(grep -cE '^test .* \.\.\. FAILED$' "$VM_RESULTS/qmicli-gadget.log" || true)"
VM_PASS=$((VM_PASS + passed))
VM_FAIL=$((VM_FAIL + failed))
[ "$passed" -gt 0 ] || vm_not_ok "some qmicli tests ran over USB" "$(tail -20 "$VM_RESULTS/qmicli-gadget.log" | tr '\n' ';')"
if [ "$failed" -gt 0 ]; then
  sed -n '/^failures:/,/^test result/p' "$VM_RESULTS/qmicli-gadget.log" | head -80 | sed 's/^/#   /'
fi
vm_done
