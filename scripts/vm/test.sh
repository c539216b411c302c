#!/usr/bin/env bash
# The VM tier: installs what it needs (scripts/vm/setup.sh), boots one VM and
# runs host-tests/vm/smoke.sh and every host-tests/vm/*.test.sh in it, then
# prints a table of each file's seconds and counts, the tier's total time,
# and "vm: N passed, M failed, K skipped" as its last line. Exit non-zero on
# any failure, a panic or a timeout.
#
# It builds nothing: a test that needs vmodem runs target/release/vmodem,
# which the caller builds first (cargo build --release). The guest sees the
# host's whole tree, target/ included, read-only over 9p.
#
#   scripts/vm/test.sh                 # everything, one boot
#   scripts/vm/test.sh FILE...         # just these files, one boot
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

scripts/vm/setup.sh
results="$root/target/vm/results"
export VM_RESULTS="$results"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(host-tests/vm/smoke.sh)
  for f in host-tests/vm/*.test.sh; do [ -e "$f" ] && files+=("$f"); done
fi

# One boot for every file by default: a boot costs 5-8 s and batch.sh resets
# the shared state (ModemManager, usbipd, gadgets) between files.
# VM_BOOT_PER_FILE=1 boots once per file, for full isolation when debugging.
if [ "${VM_BOOT_PER_FILE:-0}" = 1 ]; then
  groups=("${files[@]}")
else
  groups=("${files[*]}")
fi

# The boot's hard cap, a guard against a hung VM: the 2400 s the tier had
# before the soak, plus the soak's own budget (soak.test.sh, 1800 s).
timeout_s="${VM_TIMEOUT:-4200}"

start=$SECONDS
pass=0 fail=0 skip=0
table=()
for group in "${groups[@]}"; do
  rc=0
  # shellcheck disable=SC2086 # a group is a space-separated file list
  scripts/vm/run.sh --timeout "$timeout_s" scripts/vm/batch.sh $group || rc=$?
  p=0 m=0 s=0
  [ -s "$results/summary" ] && read -r p m s < "$results/summary"
  [ -s "$results/files" ] && mapfile -t -O "${#table[@]}" table < "$results/files"
  if [ "$rc" -ne 0 ] && [ "$m" -eq 0 ]; then
    # The VM died, timed out or batch.sh failed without a counted failure.
    echo "not ok - VM run of $group (exit $rc; see target/vm/results/console.log)"
    m=1
  fi
  pass=$((pass + p))
  fail=$((fail + m))
  skip=$((skip + ${s:-0}))
  echo "# boot: $(cat "$results/timing" 2>/dev/null || echo "no timing")"
done
# The budget in view: every file's time, slowest first.
echo "# file  seconds  passed failed skipped"
[ ${#table[@]} -eq 0 ] || printf '%s\n' "${table[@]}" | sort -k2,2nr |
  awk '{ printf "# %-28s %5d  %4d %4d %4d\n", $1, $2, $3, $4, $5 }'
echo "# vm tier: $((SECONDS - start)) s for ${#files[@]} files in ${#groups[@]} boot(s)"
echo "vm: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
