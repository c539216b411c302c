#!/usr/bin/env bash
# ModemManager 1.20 against scripted and power-model faults:
# 1. pin-reset.toml: the PIN is accepted, the module resets by itself,
#    drops off the bus and is back as a new, locked modem.
# 2. A bad cable (faults-bad-cable.toml): on 3G only it stays up; with LTE
#    allowed the LTE attach browns it out and it resets; with a good cable
#    (`vmodem ctl power`) it stays up on LTE.
# Needs target/release/vmodem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need jq || true
bin="$PWD/target/release/vmodem"
sock=/tmp/vmodem-faults-mm.sock
here="$(dirname "$0")"

ctl() { "$bin" ctl --socket "$sock" "$@"; }

start_vmodem() { # NAME SCENARIO
  rm -f "$sock"
  "$bin" -v run --transport ffs --scenario "$2" --events "$VM_RESULTS/$1.jsonl" \
    --control "$sock" >"$VM_RESULTS/vmodem-$1.log" 2>&1 &
  pid=$!
}
stop_vmodem() {
  kill -TERM "$pid"
  vm_wait_for 20 sh -c "! kill -0 $pid" || true
  vm_wait_for 60 sh -c "! mmcli -L 2>/dev/null | grep -q /Modem/" || true
}

vm_check "udev, D-Bus and ModemManager started" vm_start_stack

# --- 1. PIN, then the firmware resets by itself --------------------------
ev="$VM_RESULTS/faults-pin-reset.jsonl"
start_vmodem faults-pin-reset scenarios/pin-reset.toml
vm_check "pin-reset: ModemManager lists the modem" vm_wait_for 180 vm_new_modem
m="$(vm_modem_ids | head -1)"
sim="$(vm_sim_of "$m")"
vm_check "pin-reset: SIM locked at first" vm_locked "$m"
vm_check "pin-reset: mmcli --pin=1234 accepted" mmcli -i "$sim" --pin=1234
vm_check "pin-reset: firmware reset logged" vm_wait_for 60 sh -c "[ \$(jq -c 'select(.event==\"reset\")' $ev | wc -l) -ge 1 ]"
vm_check "pin-reset: ModemManager's modem object goes away" vm_wait_for 120 vm_modem_gone "$m"
vm_check "pin-reset: ModemManager detects a new modem" vm_wait_for 180 vm_new_modem "$m"
m2="$(vm_modem_ids | grep -vx "$m" | head -1)"
vm_check "pin-reset: the new modem's SIM is locked again" vm_wait_for 60 vm_locked "$m2"
# The scripted window: reset 1-2 s after pin-verified, 1.5 s off the bus.
window() {
  jq -s -e '
    (map(select(.event=="state" and .state=="pin-verified"))[0]["t-ms"]) as $pin
    | (map(select(.event=="fault" and .fault.fault=="reset"))[0]["t-ms"]) as $f
    | (map(select(.event=="reset"))[0]) as $r
    | (map(select(.event=="returned-to-bus"))[0]["t-ms"]) as $back
    | ($f - $pin) >= 1000 and ($f - $pin) <= 2000 and $r.cause == "injected"
      and $r.down_ms == 1500 and ($back - $f) == 1500' "$ev" >/dev/null
}
vm_check "pin-reset: reset 1-2 s after the PIN, back 1.5 s later (events log)" window
vm_check "pin-reset: exactly one reset" test "$(vm_count_events "$ev" reset)" -eq 1
stop_vmodem

# --- 2. A bad cable -------------------------------------------------------
ev="$VM_RESULTS/faults-bad-cable.jsonl"
start_vmodem faults-bad-cable "$here/faults-bad-cable.toml"
vm_check "bad cable: ModemManager lists the modem" vm_wait_for 180 vm_new_modem "$m2"
m="$(vm_modem_ids | head -1)"
sim="$(vm_sim_of "$m")"
# ModemManager refuses mode changes while the SIM is locked, and the module
# starts searching as soon as the PIN is in: set 3G only over QMI (through
# ModemManager's qmi-proxy) first, as a user of the module would.
vm_check "bad cable (a): qmicli sets UMTS only" vm_wait_for 30 \
  qmicli -p -d /dev/cdc-wdm0 --nas-set-system-selection-preference=umts
vm_check "bad cable (a): PIN accepted" mmcli -i "$sim" --pin=1234
vm_check "bad cable (a): modem unlocked" vm_wait_for 60 vm_unlocked "$m"
# Unlocked is not yet initialised: ModemManager refuses mode changes and
# enable while the modem is "initializing".
vm_check "bad cable (a): modem initialised (disabled)" vm_wait_for 60 vm_state_is "$m" disabled
vm_check "bad cable (a): mmcli --set-allowed-modes=3g" mmcli -m "$m" --set-allowed-modes=3g
vm_check "bad cable (a): modem enables" mmcli -m "$m" -e
vm_check "bad cable (a): registered" vm_wait_for 90 vm_state_is "$m" registered
vm_check "bad cable (a): access tech umts" vm_tech_is "$m" umts
sleep 5 # an observation window: five of the supply model's 1 s burst periods
vm_check "bad cable (a): still registered on UMTS after 5 s" vm_state_is "$m" registered
vm_check "bad cable (a): no brownout in the events log" test "$(vm_count_events "$ev" brownout)" -eq 0
vm_check "bad cable (a): no reset in the events log" test "$(vm_count_events "$ev" reset)" -eq 0

vm_modem "$m" | sed -n '/^ *Modes *|/,/current:/p' | sed 's/^/#   /'
vm_check "bad cable (b): mmcli allows 3g|4g, 4g preferred" \
  mmcli -m "$m" --set-allowed-modes='3g|4g' --set-preferred-mode=4g
# The engine's registration record: the brownout comes within the same
# engine step, too soon for the scenario's "registered-lte" state edge.
lte_reg() { jq -e -s 'any(.[]; .event=="registration" and .rat=="lte" and .state=="registered")' "$ev" >/dev/null; }
vm_check "bad cable (b): registered on LTE (events log)" vm_wait_for 60 lte_reg
vm_check "bad cable (b): brownout logged" vm_wait_for 60 sh -c "[ \$(jq -c 'select(.event==\"brownout\")' $ev | wc -l) -ge 1 ]"
cause_ok() { jq -s -e 'map(select(.event=="reset"))[0].cause == "brownout"' "$ev" >/dev/null; }
vm_check "bad cable (b): reset with cause brownout" vm_wait_for 30 cause_ok
vm_check "bad cable (b): ModemManager loses the modem" vm_wait_for 120 vm_modem_gone "$m"
jq -c 'select(.event=="brownout" or .event=="reset" or .event=="load")' "$ev" | head -6 | sed 's/^/#   /'

vm_check "bad cable (c): ctl power: a good cable" ctl power --cable-ohms 0.1 --connector-ohms 0.05
vm_check "bad cable (c): ModemManager detects the modem again" vm_wait_for 180 vm_new_modem "$m"
m="$(vm_modem_ids | grep -vx "$m" | head -1)"
sim="$(vm_sim_of "$m")"
resets="$(vm_count_events "$ev" reset)"
vm_check "bad cable (c): PIN accepted" mmcli -i "$sim" --pin=1234
vm_check "bad cable (c): modem unlocked" vm_wait_for 60 vm_unlocked "$m"
vm_check "bad cable (c): modem initialised (disabled)" vm_wait_for 60 vm_state_is "$m" disabled
vm_check "bad cable (c): modem enables" mmcli -m "$m" -e
vm_check "bad cable (c): registered" vm_wait_for 90 vm_state_is "$m" registered
vm_check "bad cable (c): access tech lte" vm_tech_is "$m" lte
sleep 5 # an observation window: five of the supply model's 1 s burst periods
vm_check "bad cable (c): still registered on LTE after 5 s" vm_tech_is "$m" lte
vm_check "bad cable (c): no further reset" test "$(vm_count_events "$ev" reset)" -eq "$resets"
stop_vmodem
vm_done
