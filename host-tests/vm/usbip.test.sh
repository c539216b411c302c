#!/usr/bin/env bash
# vmodem as a USB/IP device server, imported through the kernel's vhci_hcd
# (no gadget, no dummy_hcd): usbip lists and attaches 1199:9041, qcserial
# and qmi_wwan bind it, qmicli and the AT port answer, and a firmware reset
# asked for over QMI drops the device off vhci until the host attaches it
# again; then the factory setting (composition 14) comes up with two
# configurations and cdc_mbim bound. Needs target/release/vmodem.
# Loopback only.
set -euo pipefail
# shellcheck source=host-tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
bin="$PWD/target/release/vmodem"

vm_check "vmodem release binary built" test -x "$bin"
vm_check "udev started" vm_start_udev
vm_check "vhci_hcd loaded" vm_modprobe vhci_hcd

"$bin" run --transport usbip --composition qmi >"$VM_RESULTS/vmodem-usbip.log" 2>&1 &
pid=$!
vm_check "vmodem listens on 127.0.0.1:3240" vm_wait_for 20 sh -c 'ss -ltn | grep -q "127.0.0.1:3240 "'

out="$(usbip list -r 127.0.0.1 2>&1 || true)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "usbip list shows 1-1 as 1199:9041" grep -q "1-1:.*1199:9041" <<<"$out"

attach() { usbip attach -r 127.0.0.1 -b 1-1; }
vm_check "usbip attach -r 127.0.0.1 -b 1-1" attach
vm_check "host created /dev/cdc-wdm0" vm_wait_path 30 /dev/cdc-wdm0
udevadm settle --timeout=10 || true

vm_check "lsusb shows 1199:9041 under vhci_hcd" vm_vhci_dev
dev="$(vm_vhci_dev || true)"

lsusb -v -d 1199:9041 >"$VM_RESULTS/lsusb-usbip-9041.txt" 2>&1 || true
desc() { grep -E "^ *$1 " "$VM_RESULTS/lsusb-usbip-9041.txt" | head -1; }
has() { desc "$1" | grep -q -- "$2"; }
vm_check "lsusb: bcdDevice 0.06" has bcdDevice 0.06
vm_check "lsusb: manufacturer" has iManufacturer "Sierra Wireless, Incorporated"
vm_check "lsusb: product EM7305" has iProduct EM7305
vm_check "lsusb: interface 8 is QMI (ff/ff/ff)" grep -q "bInterfaceNumber *8" "$VM_RESULTS/lsusb-usbip-9041.txt"
vm_check "lsusb: wTotalLength 160, as the real configuration 1" has wTotalLength 0x00a0
# The whole dump against the stored reference (docs/usbip.md compares it
# with the public facts); a descriptor change must update both.
grep -v '^Bus ' "$VM_RESULTS/lsusb-usbip-9041.txt" | sed '/^$/d' >"$VM_RESULTS/lsusb-usbip-9041.body"
vm_check "lsusb -v matches host-tests/vm/reference/em7305-qmi.lsusb.txt" \
  diff -u host-tests/vm/reference/em7305-qmi.lsusb.txt "$VM_RESULTS/lsusb-usbip-9041.body"

for i in 0 2 3; do
  vm_check "qcserial bound to interface $i" test -e "/sys/bus/usb/drivers/qcserial/$dev:1.$i"
done
vm_check "three ttyUSB ports" test "$(ls /sys/bus/usb-serial/devices | wc -l)" -eq 3
vm_check "qmi_wwan bound to interface 8" test -e "/sys/bus/usb/drivers/qmi_wwan/$dev:1.8"
net="$(ls "/sys/bus/usb/devices/$dev:1.8/net" 2>/dev/null | head -1)"
vm_check "wwan netdev exists ($net)" test -n "$net"

imei="$(sed -n 's/^imei = "\(.*\)"/\1/p' sim/core/profiles/em7305.toml)"
ids() { qmicli -d /dev/cdc-wdm0 --dms-get-ids 2>&1 || true; }
out="$(ids)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "qmicli over vhci reads the profile's IMEI" grep -q "IMEI: '$imei'" <<<"$out"

rtt="$PWD/target/release/examples/qmi_rtt"
if [ -x "$rtt" ]; then
  out="$("$rtt" /dev/cdc-wdm0 300 2>&1 || true)"
  echo "# bench: usbip: $out"
  vm_check "CTL Sync round trips over USB/IP" grep -q "median" <<<"$out"
else
  vm_skip "CTL Sync round trips over USB/IP" "no target/release/examples/qmi_rtt: cargo build --release --examples"
fi

at_tty="$(ls "/sys/bus/usb/devices/$dev:1.3/" 2>/dev/null | grep -m1 '^ttyUSB' || true)"
at() {
  local reply
  stty -F "/dev/$at_tty" raw -echo
  exec 3<>"/dev/$at_tty"
  printf '%s\r' "$1" >&3
  reply="$(timeout 3 cat <&3 || true)"
  exec 3>&-
  printf '%s' "$reply"
}
reply="$(at ATI 2>&1 || true)"
printf '%s\n' "$reply" | sed 's/^/#   /'
vm_check "AT port ($at_tty) answers ATI with the model" grep -q "EM7305" <<<"$reply"

# A firmware reset over QMI: the module answers, then leaves the bus.
offline() { qmicli -d /dev/cdc-wdm0 --dms-set-operating-mode=offline 2>&1; }
# One CI run's qmicli read end-of-file from cdc-wdm0 ("Cannot read from
# istream: connection broken") right after vmodem had answered its CID
# allocation; the output says so, and a second try says whether the
# modem or that qmicli was stuck.
if out="$(offline)"; then
  printf '%s\n' "$out" | sed 's/^/#   /'
  vm_ok "qmicli: operating mode offline"
else
  printf '%s\n' "$out" | sed 's/^/#   first try: /'
  vm_check "qmicli: operating mode offline" offline
fi
qmicli -d /dev/cdc-wdm0 --dms-set-operating-mode=reset 2>&1 | sed 's/^/#   /' || true
vm_check "device gone from vhci after the reset" vm_wait_for 20 sh -c '! lsusb -d 1199:9041'
vm_check "cdc-wdm0 gone" vm_wait_for 10 test ! -e /dev/cdc-wdm0
# Re-attach as docs/usbip.md tells a host to: retry until the firmware is back.
reattach() { until attach >/dev/null 2>&1; do sleep 0.2; done; }
vm_check "re-attached after the firmware booted" timeout 60 bash -c "$(declare -f attach reattach); reattach"
vm_check "cdc-wdm0 back" vm_wait_path 30 /dev/cdc-wdm0
udevadm settle --timeout=10 || true
out="$(ids)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "qmicli reads the IMEI after the reset" grep -q "IMEI: '$imei'" <<<"$out"
vm_check "vmodem logged the reset" grep -q "leaving the bus" "$VM_RESULTS/vmodem-usbip.log"

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
vm_check "host sees the device go" vm_wait_for 20 sh -c '! lsusb -d 1199:9041'

# The OEM unit profiles (`vmodem profile units`): each enumerates with its
# own IDs and product string, and the kernel's own tables bind qcserial
# to interfaces 0, 2, 3 and qmi_wwan to 8.
for unit in lenovo-em7305 dell-dw5809e; do
  "$bin" profile default --unit "$unit" >"/tmp/vmodem-$unit.toml"
  ids="$(sed -n '/^\[identity\]/,/^\[/s/^usb-\(vendor\|product\)-id = 0x\(....\)$/\2/p' "/tmp/vmodem-$unit.toml" | paste -sd:)"
  "$bin" run --transport usbip --composition qmi --profile "/tmp/vmodem-$unit.toml" >"$VM_RESULTS/vmodem-$unit.log" 2>&1 &
  upid=$!
  vm_check "$unit: vmodem listens" vm_wait_for 20 sh -c 'ss -ltn | grep -q "127.0.0.1:3240 "'
  vm_check "$unit: usbip attach" attach
  vm_check "$unit: imported as $ids" vm_wait_for 20 vm_vhci_is "$ids"
  udevadm settle --timeout=10 || true
  udev_dev="$(vm_vhci_device | cut -d' ' -f1 || true)"
  vm_check "$unit: cdc-wdm0 (qmi_wwan on interface 8)" \
    vm_wait_for 20 test -e "/sys/bus/usb/drivers/qmi_wwan/$udev_dev:1.8"
  for i in 0 2 3; do
    vm_check "$unit: qcserial bound to interface $i" test -e "/sys/bus/usb/drivers/qcserial/$udev_dev:1.$i"
  done
  product="$(sed -n 's/^usb-product = "\(.*\)"$/\1/p' "/tmp/vmodem-$unit.toml")"
  vm_check "$unit: iProduct '$product'" grep -qxF "$product" "/sys/bus/usb/devices/$udev_dev/product"
  kill -TERM "$upid"
  gone() { ! kill -0 "$upid" 2>/dev/null && ! vm_vhci_device >/dev/null; }
  vm_check "$unit: vmodem exits, device gone" vm_wait_for 20 gone
done

# The factory setting, with no --composition: composition 14, two
# configurations; Linux takes the MBIM one (the first whose first
# interface is not vendor-specific) and cdc_mbim binds, as a real unit
# out of the box.
"$bin" run --transport usbip >"$VM_RESULTS/vmodem-usbip-factory.log" 2>&1 &
upid=$!
vm_check "factory: vmodem listens" vm_wait_for 20 sh -c 'ss -ltn | grep -q "127.0.0.1:3240 "'
vm_check "factory: usbip attach" attach
udevadm settle --timeout=10 || true
two_configs() { d="$(vm_vhci_dev)" && [ "$(cat "/sys/bus/usb/devices/$d/bNumConfigurations")" = 2 ]; }
vm_check "factory: two configurations (composition 14)" vm_wait_for 20 two_configs
dev="$(vm_vhci_dev || true)"
vm_check "factory: Linux chose configuration 2" \
  vm_wait_for 20 sh -c "test \"\$(cat /sys/bus/usb/devices/$dev/bConfigurationValue)\" = 2"
vm_check "factory: cdc_mbim bound to interface 12" vm_wait_path 30 "/sys/bus/usb/drivers/cdc_mbim/$dev:2.12"
vm_check "factory: /dev/cdc-wdm0 (MBIM)" vm_wait_path 30 /dev/cdc-wdm0
out="$(timeout 20 mbimcli -d /dev/cdc-wdm0 --query-device-caps 2>&1 || true)"
vm_check "factory: mbimcli reads the device caps" grep -q "Firmware info: 'SWI9X15C" <<<"$out"
kill -TERM "$upid"
gone() { ! kill -0 "$upid" 2>/dev/null && ! vm_vhci_device >/dev/null; }
vm_check "factory: vmodem exits, device gone" vm_wait_for 20 gone
vm_done
