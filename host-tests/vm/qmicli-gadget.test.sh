#!/usr/bin/env bash
# The pty tier's qmicli tests again, this time through the kernel: each test
# that starts a vmodem starts it as a USB gadget and talks to /dev/cdc-wdm0
# (qmi_wwan + cdc_wdm), so the same actions must give the same answers over
# USB. Only the tests that did start a gadget count as run over USB (the
# harness lists them in $VMODEM_OVER_USB_LOG). The modules that never
# touch FunctionFS (the serial and MBIM ptys, the boot loader's DM link,
# USB/IP over loopback, tshark on a pty's capture, the dashboard's browser
# and HTTP tests) are not run here at all
# and print SKIP: the pty tier runs them. Any other test that starts no
# gadget prints SKIP too.
# Needs the pty test binary (scripts/test.sh writes its path to
# target/vm/pty-tests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

list="$PWD/target/vm/pty-tests"
vm_check "pty test binary known" test -s "$list"
bin="$(cat "$list" 2>/dev/null || true)"
vm_check "udev started" vm_start_udev

log="$VM_RESULTS/qmicli-gadget.log"
over_usb="$VM_RESULTS/qmicli-gadget.over-usb"
rm -f "$over_usb"
touch "$over_usb"
pty_only='^(at|bootloader|mbim|usbip|hostile_usbip|dashboard|suite)::|^capture::tshark_'
skips=()
while read -r name; do
  [ -n "$name" ] || continue
  vm_skip "over USB: $name" "opens no gadget; the pty tier runs it"
  skips+=(--skip "$name")
done <<<"$("$bin" --list 2>/dev/null | sed -n 's/: test$//p' | grep -E "$pty_only")"
# Tests that need the pty's own serial links (the AT and NMEA ptys), and
# the one that counts every QMI answer a host never reads: over USB the
# kernel's cdc-wdm buffer drops those before the modem could count them.
serial_links='^(location::at_gps_session_streams_nmea_on_its_port|sms::qmicli_wms_routes_follow_at_and_ctl_sms_reaches_at_and_qmi|time::dms_time_and_cclk_read_the_profiles_network_clock|hostile::a_host_that_stops_reading_qmi_sees_whole_frames_and_an_overrun)$'
while read -r name; do
  [ -n "$name" ] || continue
  vm_skip "over USB: $name" "needs a pty's own serial link or counts what cdc-wdm drops; the pty tier runs it"
  skips+=(--skip "$name")
done <<<"$("$bin" --list 2>/dev/null | sed -n 's/: test$//p' | grep -E "$serial_links")"
VMODEM_TRANSPORT=ffs VMODEM_OVER_USB_LOG="$over_usb" \
  "$bin" --test-threads=1 --exact "${skips[@]}" >"$log" 2>&1 || true
usb=0
# A here-string, not a process substitution: the guest has no /dev/fd.
while read -r _ name _ result; do
  [ -n "$name" ] || continue
  if [ "$result" = ignored ]; then
    vm_skip "over USB: $name" "ignored"
  elif [ "$result" != ok ]; then
    vm_not_ok "over USB: $name" "$result"
  elif grep -qxF "$name" "$over_usb"; then
    vm_ok "over USB: $name"
    usb=$((usb + 1))
  else
    vm_skip "over USB: $name" "started no gadget; the pty tier runs it"
  fi
done <<<"$(grep -E '^test .* \.\.\. ' "$log")"
[ "$usb" -gt 0 ] || vm_not_ok "some qmicli tests ran over USB" "$(tail -20 "$log" | tr '\n' ';')"
if grep -qE '^test .* \.\.\. FAILED$' "$log"; then
  sed -n '/^failures:/,/^test result/p' "$log" | head -80 | sed 's/^/#   /'
fi
vm_done
