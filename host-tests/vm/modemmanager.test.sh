#!/usr/bin/env bash
# ModemManager 1.20 finds the gadget and takes it for an EM7305: the sierra
# plugin, a QMI primary port, an AT port, and the profile's identity.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin="$PWD/target/release/vmodem"
profile_value() { sed -n "s/^$1 = \"\\(.*\\)\"/\\1/p" sim/core/profiles/em7305.toml; }

vm_check "udev, D-Bus and ModemManager started" vm_start_stack
"$bin" run --transport ffs >"$VM_RESULTS/vmodem-mm.log" 2>&1 &
pid=$!
vm_check "host created /dev/cdc-wdm0" vm_wait_path 30 /dev/cdc-wdm0

t0=$SECONDS
listed() { mmcli -L 2>/dev/null | grep -q '/Modem/'; }
if vm_wait_for 120 listed; then
  vm_ok "mmcli -L lists the modem"
  echo "# bench: ModemManager detection took $((SECONDS - t0)) s (TCG)"
else
  vm_not_ok "mmcli -L lists the modem" "$(mmcli -L 2>&1 | tr '\n' ';')"
fi
idx="$(mmcli -L 2>/dev/null | sed -n 's|.*/Modem/\([0-9]*\).*|\1|p' | head -1)"
info="$(mmcli -m "${idx:-0}" 2>&1 || true)"
printf '%s\n' "$info" | sed 's/^/#   /' >"$VM_RESULTS/mmcli-m.txt"
printf '%s\n' "$info" | head -40 | sed 's/^/#   /'
field() { grep -E "^\s*\|?\s*$1:" <<<"$info" | head -1; }
vm_check "manufacturer Sierra Wireless" grep -q "manufacturer: Sierra Wireless" <<<"$info"
vm_check "model EM7305" grep -q "model: EM7305" <<<"$info"
vm_check "firmware revision from the profile" grep -q "revision: $(profile_value revision | cut -d' ' -f1)" <<<"$info"
vm_check "equipment id is the IMEI" grep -q "equipment id: $(profile_value imei)" <<<"$info"
vm_check "plugin sierra" grep -q "plugin: sierra" <<<"$info"
vm_check "QMI primary port cdc-wdm0" grep -q "primary port: cdc-wdm0" <<<"$info"
vm_check "ports list the QMI port" grep -q "cdc-wdm0 (qmi)" <<<"$info"
vm_check "ports list an AT port" grep -qE "ttyUSB[0-9] \(at\)" <<<"$info"
vm_check "SIM is locked (sim-pin)" grep -q "lock: sim-pin" <<<"$info"

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
gone() { ! mmcli -L 2>/dev/null | grep -q '/Modem/'; }
vm_check "ModemManager drops the modem when it leaves the bus" vm_wait_for 30 gone
vm_done
