#!/usr/bin/env bash
# The fault-injection demo: a bad USB cable, seen from both sides.
#
# Installs what it needs (as scripts/vm/setup.sh does: qemu, Debian's
# kernel, ModemManager...), builds vmodem, boots the VM and runs
# host-tests/vm/demo/bad-cable.sh in it: vmodem as a USB gadget runs
# scenarios/bad-cable-lte.toml while the real kernel drivers and
# ModemManager drive it, and ModemManager's view is recorded. Then, on
# this side, `vmodem timeline` and `vmodem plot` turn the run into
#   target/demo/timeline.txt   vmodem's events beside ModemManager's view
#   target/demo/power.svg      module voltage and current, resets marked
#   target/demo/power.png      the same chart as a PNG
# and the timeline is printed, then the chart. About 3 minutes of VM time
# on 2 cores.
# Needs root (or sudo) for apt; the VM itself needs none.
#
#   scripts/demo.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/target/demo"

echo "demo: setting up (apt packages, the VM kernel) and building vmodem"
scripts/vm/setup.sh
cargo build --release -q -p vmodem --bins

echo "demo: booting the VM (qemu, no KVM: the boot takes a while)"
mkdir -p "$out"
start=$SECONDS
rc=0
VM_RESULTS="$out" scripts/vm/run.sh --timeout "${DEMO_TIMEOUT:-900}" host-tests/vm/demo/bad-cable.sh || rc=$?
echo "demo: VM run: $((SECONDS - start)) s ($(cat "$out/timing" 2>/dev/null || echo "no timing"))"
[ -s "$out/events.jsonl" ] || { echo "demo: no event log; see $out/console.log" >&2; exit 1; }

bin="$root/target/release/vmodem"
"$bin" timeline "$out/events.jsonl" --mm "$out/mm-view.txt" \
  | grep -v -e 'state: ' -e '  load: ' >"$out/timeline.txt"
echo
cat "$out/timeline.txt"
echo
echo "demo: timeline in target/demo/timeline.txt (the full one: vmodem timeline target/demo/events.jsonl --mm target/demo/mm-view.txt)"
# The story's picture last: the supply over the run, resets marked.
"$bin" plot "$out/events.jsonl" -o "$out/power.svg" >/dev/null
"$bin" plot "$out/events.jsonl" -o "$out/power.png" >/dev/null
echo "demo: the supply plot is target/demo/power.png (and power.svg)"
exit "$rc"
