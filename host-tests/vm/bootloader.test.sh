#!/usr/bin/env bash
# The failsafe boot loader (1199:9040) as a FunctionFS gadget: one
# configuration, one vendor interface with a bulk pair, which qcserial
# takes as its QDL port; a host USB reset leaves it in the boot loader;
# the port answers QDL, and the real qmi-firmware-update downloads a
# synthetic CWE image through it.
# Needs target/release/vmodem (scripts/test.sh builds it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# A missing tool is a failure of its own; the checks that use it fail too.
vm_need usbreset qmi-firmware-update || true
bin="$PWD/target/release/vmodem"
py=/usr/bin/python3

vm_check "vmodem release binary built" test -x "$bin"
vm_check "udev started" vm_start_udev

"$bin" -v run --transport ffs --start-in-bootloader >"$VM_RESULTS/vmodem-bootloader.log" 2>&1 &
pid=$!
if vm_wait_path 30 /dev/ttyUSB0; then
  vm_ok "host created /dev/ttyUSB0"
else
  vm_not_ok "host created /dev/ttyUSB0" "$(tail -5 "$VM_RESULTS/vmodem-bootloader.log" | tr '\n' ';')"
fi
udevadm settle --timeout=10 || true

lsusb -v -d 1199:9040 >"$VM_RESULTS/lsusb-9040.txt" 2>&1 || true
field() { grep -E "^ *$1 " "$VM_RESULTS/lsusb-9040.txt" | awk '{print $2}'; }
vm_check "lsusb: idProduct 0x9040" test "$(field idProduct | head -1)" = 0x9040
vm_check "lsusb: one configuration" test "$(field bNumConfigurations | sort -u)" = 1
vm_check "lsusb: one interface" test "$(field bNumInterfaces)" = 1
vm_check "lsusb: interface class ff" test "$(field bInterfaceClass)" = 255
vm_check "lsusb: two endpoints" test "$(field bNumEndpoints)" = 2
# The device fields of the public EM7305 QDL dump (docs/bootloader.md);
# configfs always announces a serial string, so iSerial is not checked here.
vm_check "lsusb: bcdDevice 0.00" test "$(field bcdDevice)" = 0.00
vm_check "lsusb: MaxPower 2mA" test "$(field MaxPower)" = 2mA
vm_check "lsusb: bus powered" grep -q '(Bus Powered)' "$VM_RESULTS/lsusb-9040.txt"
vm_check "lsusb: both endpoints bulk" test "$(grep -c 'Transfer Type *Bulk' "$VM_RESULTS/lsusb-9040.txt")" -eq 2
vm_check "no 9041 on the bus" sh -c '! lsusb -d 1199:9041'

dev="$(basename "$(dirname "$(grep -l '^9040$' /sys/bus/usb/devices/*/idProduct | head -1)")")"
vm_check "qcserial bound to interface 0" test -e "/sys/bus/usb/drivers/qcserial/$dev:1.0"
vm_check "exactly one ttyUSB" test "$(ls /sys/bus/usb-serial/devices | wc -l)" -eq 1
vm_check "no cdc-wdm" test ! -e /dev/cdc-wdm0

hello() {
  out="$($py host-tests/vm/qdl.py hello /dev/ttyUSB0 2>&1)"
  printf '%s\n' "$out" | sed 's/^/#   /'
  grep -q "hello reply: 49 bytes" <<<"$out"
}
vm_check "ttyUSB0 answers DLOAD SDP and QDL HELLO" hello

# A host-side USB reset re-enumerates the device; the boot loader stays.
vm_check "usbreset 1199:9040" usbreset 1199:9040
vm_check "ttyUSB0 back after the reset" vm_wait_path 30 /dev/ttyUSB0
udevadm settle --timeout=10 || true
vm_check "still 1199:9040 after usbreset" lsusb -d 1199:9040
vm_check "still no 9041 after usbreset" sh -c '! lsusb -d 1199:9041'
vm_check "QDL HELLO answered after usbreset" hello

devnum() { cat "/sys/bus/usb/devices/$dev/devnum" 2>/dev/null || echo gone; }
before="$(devnum)"

# The real peer: qmi-firmware-update in download mode, two 1 MiB chunks.
img="$VM_RESULTS/SWI9X15C_05.05.58.00.cwe"
$py host-tests/vm/qdl.py cwe "$img" 1500000
t0=$(date +%s%N)
out="$(timeout 120 qmi-firmware-update --update-download -t /dev/ttyUSB0 \
  --ignore-mm-runtime-check -v "$img" 2>&1 || echo "EXIT $?")"
ms=$((($(date +%s%N) - t0) / 1000000))
printf '%s\n' "$out" >"$VM_RESULTS/qmi-firmware-update.log"
printf '%s\n' "$out" | grep -E 'error|QDL version|ack|finished|rebooting' | tail -8 | sed 's/^/#   /'
vm_check "qmi-firmware-update: QDL version 6 detected" grep -q "QDL version detected: 6" <<<"$out"
# Replies are logged with one space after "sequence:", requests with three.
vm_check "qmi-firmware-update: chunk #1 acknowledged" grep -q "sequence: 1$" <<<"$out"
vm_check "qmi-firmware-update finished successfully" \
  grep -q "firmware update operation finished successfully" <<<"$out"
echo "# bench: qmi-firmware-update QDL download of 1.5 MB over dummy_hcd: $ms ms"

# QDL RESET reboots the failsafe boot loader into itself.
# The device must really leave and re-enumerate (a new address).
vm_check "re-enumerated after QDL RESET" vm_wait_for 30 sh -c "n=\$(cat /sys/bus/usb/devices/$dev/devnum 2>/dev/null) && [ \"\$n\" != $before ]"
vm_check "back as 9040 after QDL RESET" vm_wait_for 30 lsusb -d 1199:9040
vm_check "ttyUSB0 back after QDL RESET" vm_wait_path 30 /dev/ttyUSB0
vm_check "no 9041 after QDL RESET" sh -c '! lsusb -d 1199:9041'

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
vm_check "host sees the device go" vm_wait_for 10 sh -c '! lsusb -d 1199:9040'
vm_check "gadget removed from configfs" test -z "$(ls /sys/kernel/config/usb_gadget)"
vm_done
