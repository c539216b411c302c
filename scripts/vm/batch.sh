#!/usr/bin/env bash
# Runs inside the VM (scripts/vm/run.sh scripts/vm/batch.sh [FILE...]): the
# given test files, or smoke.sh then every host-tests/vm/*.test.sh, one after
# another in this one boot. Each file's checks count; a file that exits
# non-zero without a failed check counts as one failure. Between files it
# clears what a file may have left (ModemManager, gadgets) so each starts
# from the same state. Totals go to $VM_RESULTS/summary ("PASSED FAILED
# SKIPPED"), and one line per file ("FILE SECONDS PASSED FAILED SKIPPED") to
# $VM_RESULTS/files, which scripts/vm/test.sh prints as the timing table.
set -uo pipefail
. host-tests/vm/lib.sh

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(host-tests/vm/smoke.sh)
  for f in host-tests/vm/*.test.sh; do [ -e "$f" ] && files+=("$f"); done
fi
rm -f "$VM_RESULTS/summary" "$VM_RESULTS/files"

pass=0
fail=0
skip=0
for f in "${files[@]}"; do
  name="${f##*/}"
  echo "# === $name"
  counts="$VM_RESULTS/counts.$name"
  t0=$SECONDS
  rc=0
  VM_COUNTS="$counts" bash "$f" || rc=$?
  p=0 m=0 s=0
  [ -s "$counts" ] && read -r p m s < "$counts"
  s="${s:-0}"
  if [ "$rc" -ne 0 ] && [ "$m" -eq 0 ]; then
    echo "not ok - $name exited $rc before reporting a failure"
    m=$((m + 1))
  fi
  echo "# $name: $((SECONDS - t0)) s"
  echo "$name $((SECONDS - t0)) $p $m $s" >> "$VM_RESULTS/files"
  pass=$((pass + p))
  fail=$((fail + m))
  skip=$((skip + s))
  # Isolation: nothing a file started or built outlives it.
  # Host stacks too: a NetworkManager left running keeps oFono from
  # finding the modem in the next file.
  stacks="ModemManager NetworkManager ofonod usbipd mbim-proxy qmi-proxy"
  # shellcheck disable=SC2086
  for pid in $(pidof $stacks 2>/dev/null); do kill "$pid" 2>/dev/null; done
  # shellcheck disable=SC2086
  for _ in $(seq 50); do pidof $stacks >/dev/null 2>&1 || break; sleep 0.1; done
  for gd in "$VM_GADGETS"/*; do [ -d "$gd" ] && vm_gadget_remove "${gd##*/}"; done
done
echo "$pass $fail $skip" > "$VM_RESULTS/summary"
[ "$fail" -eq 0 ]
