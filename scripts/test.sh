#!/usr/bin/env bash
# Runs every test tier that this machine can run: formatting and lints,
# unit and property tests, the benches once each in test mode, the pty tier
# against the real qmicli, and the VM tier. Installs what the tests need
# (Debian packages) when it is missing. Ends with one line,
# "all: N passed, N failed, N skipped", over every tier.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v qmicli >/dev/null 2>&1 || need_pkgs+=(libqmi-utils)
command -v mbimcli >/dev/null 2>&1 || need_pkgs+=(libmbim-utils)
# tshark decodes the --pcap capture in the pty tier (host-tests/pty/capture.rs).
command -v tshark >/dev/null 2>&1 || need_pkgs+=(tshark)
# The browser test (host-tests/pty/dashboard.rs): headless Chromium, driven
# through the DevTools protocol by a Python client in target/browser-venv.
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_pkgs+=(python3-venv)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # wireshark-common would ask whether non-root users may capture: no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" |
    "${sudo_cmd[@]}" debconf-set-selections
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

mkdir -p target
scripts/browser/venv.sh

# The VM tier's long boot (the soak, then qmicli over the gadget) needs only
# the release binary and the pty-tier test binary: it starts now and runs
# beside the cargo tests, since most of its time is ModemManager's timers.
# The rest of the VM tier joins it after the cargo tests.
vm_tier=1
[ "${VMODEM_SKIP_VM:-0}" = 1 ] && vm_tier=0
if [ "$vm_tier" = 1 ]; then
  echo "== VM tier: building, then starting the soak's boot"
  cargo build --release --locked -p vmodem --bins --examples
  mkdir -p target/vm
  # --workspace, as below: with -p the crates' features differ and cargo
  # would build vmodem and its tests again.
  cargo test --workspace --test pty --no-run --locked 2>&1 \
    | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | sed "s|^|$PWD/|" > target/vm/pty-tests
  scripts/vm/test.sh --start-solo
  # If a cargo tier fails, this script ends there: the boot goes with it.
  trap 'scripts/vm/test.sh --stop-solo' EXIT
fi

echo "== cargo test (unit, property and pty tiers)"
# Checks a pty-tier test cannot make are logged here (harness::skip).
export VMODEM_SKIP_LOG="$PWD/target/pty-skips.log"
rm -f "$VMODEM_SKIP_LOG"
cargo test --workspace --locked 2>&1 | tee target/test.log
[ ! -s "$VMODEM_SKIP_LOG" ] || cat "$VMODEM_SKIP_LOG"
# Every bench once, in test mode: a bench that no longer runs fails here.
# (`--bench '*'` is `--benches` without the lib and bins, whose unit tests
# ran above.)
echo "== cargo test --benches"
cargo test --workspace --locked --bench '*' 2>&1 | tee target/bench-test.log
# libtest's "N ignored" are skips; a bench in test mode prints no such line.
cargo_counts=$(cat target/test.log target/bench-test.log |
  awk '/^test result:/ { p += $4; f += $6; s += $8 } END { print p + 0, f + 0, s + 0 }')
pty_skips=0
[ ! -f "$VMODEM_SKIP_LOG" ] || pty_skips=$(wc -l < "$VMODEM_SKIP_LOG")
read -r cp cf cs <<<"$cargo_counts"
cargo_counts="$cp $cf $((cs + pty_skips))"

# The VM tier: real kernel drivers (qcserial, qmi_wwan, cdc_wdm) and
# ModemManager against vmodem as a USB gadget, inside qemu. It needs root
# for its packages; VMODEM_SKIP_VM=1 leaves it out on a machine without.
vm_counts="0 0 0"
if [ "$vm_tier" = 0 ]; then
  echo "== VM tier left out (VMODEM_SKIP_VM=1)"
else
  echo "== VM tier"
  vm_rc=0
  scripts/vm/test.sh 2>&1 | tee target/vm.log || vm_rc=$?
  vm_counts=$(sed -n 's/^vm: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' target/vm.log | tail -1)
  [ -n "$vm_counts" ] || vm_counts="0 1 0"
  [ "$vm_rc" -eq 0 ] || { read -r p f s <<<"$vm_counts"; [ "$f" -gt 0 ] || vm_counts="$p 1 $s"; }
fi

# One plain summary line over every tier.
read -r cp cf cs <<<"$cargo_counts"
read -r vp vf vs <<<"$vm_counts"
echo "all: $((cp + vp)) passed, $((cf + vf)) failed, $((cs + vs)) skipped"
[ $((cf + vf)) -eq 0 ]
