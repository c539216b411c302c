#!/usr/bin/env bash
# Runs every test tier that this machine can run: formatting and lints,
# unit and property tests, and the pty tier against the real qmicli.
# Installs what the tests need (Debian packages) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v qmicli >/dev/null 2>&1 || need_pkgs+=(libqmi-utils)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

mkdir -p target
echo "== cargo test (unit, property and pty tiers)"
cargo test --workspace --locked 2>&1 | tee target/test.log
# One plain summary line over every test binary.
awk '/^test result:/ { p += $4; f += $6; s += $8 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' target/test.log
