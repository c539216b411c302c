#!/usr/bin/env bash
# The EM7305 as a FunctionFS gadget on dummy_hcd, bound by the host's own
# drivers: lsusb sees the personality, qcserial takes interfaces 0, 2 and 3,
# qmi_wwan takes 8 (cdc-wdm0 and a wwan netdev), and the ports answer.
# Needs target/release/vmodem (scripts/test.sh builds it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin="$PWD/target/release/vmodem"

vm_check "vmodem release binary built" test -x "$bin"
vm_check "udev started" vm_start_udev

t0=$(date +%s%N)
"$bin" run --transport ffs >"$VM_RESULTS/vmodem-gadget.log" 2>&1 &
pid=$!
if vm_wait_path 30 /dev/cdc-wdm0; then
  ms=$((($(date +%s%N) - t0) / 1000000))
  vm_ok "host created /dev/cdc-wdm0"
  echo "# bench: vmodem start to host cdc-wdm0: $ms ms"
else
  vm_not_ok "host created /dev/cdc-wdm0" "$(tail -5 "$VM_RESULTS/vmodem-gadget.log" | tr '\n' ';')"
fi
udevadm settle --timeout=10 || true

lsusb -v -d 1199:9041 >"$VM_RESULTS/lsusb-9041.txt" 2>&1 || true
desc() { grep -E "^ *$1 " "$VM_RESULTS/lsusb-9041.txt" | head -1; }
has() { desc "$1" | grep -q -- "$2"; }
vm_check "lsusb: idVendor 0x1199" has idVendor 0x1199
vm_check "lsusb: idProduct 0x9041" has idProduct 0x9041
vm_check "lsusb: bcdDevice 0.06" has bcdDevice 0.06
vm_check "lsusb: bcdUSB 2.00" has bcdUSB 2.00
vm_check "lsusb: manufacturer" has iManufacturer "Sierra Wireless, Incorporated"
vm_check "lsusb: product EM7305" has iProduct EM7305
vm_check "lsusb: 500mA" has MaxPower 500mA
vm_check "lsusb: self powered, remote wakeup" grep -q "Remote Wakeup" "$VM_RESULTS/lsusb-9041.txt"

dev="$(basename "$(dirname "$(grep -l '^9041$' /sys/bus/usb/devices/*/idProduct | head -1)")")"
for i in 0 2 3; do
  vm_check "qcserial bound to interface $i" test -e "/sys/bus/usb/drivers/qcserial/$dev:1.$i"
done
for i in 1 4 5 6 7; do
  vm_check "placeholder interface $i unbound" test ! -e "/sys/bus/usb/devices/$dev:1.$i/driver"
done
vm_check "three ttyUSB ports" test "$(ls /sys/bus/usb-serial/devices | wc -l)" -eq 3
vm_check "qmi_wwan bound to interface 8" test -e "/sys/bus/usb/drivers/qmi_wwan/$dev:1.8"
net="$(ls "/sys/bus/usb/devices/$dev:1.8/net" 2>/dev/null | head -1)"
vm_check "wwan netdev exists ($net)" test -n "$net"

out="$(qmicli -d /dev/cdc-wdm0 --dms-get-ids 2>&1 || true)"
printf '%s\n' "$out" | sed 's/^/#   /'
imei="$(sed -n 's/^imei = "\(.*\)"/\1/p' sim/core/profiles/em7305.toml)"
vm_check "qmicli over cdc-wdm0 reads the profile's IMEI" grep -q "IMEI: '$imei'" <<<"$out"

# Round trips through qmi_wwan/cdc_wdm, without libqmi (a benchmark figure).
rtt="$PWD/target/release/examples/qmi_rtt"
if [ -x "$rtt" ]; then
  out="$("$rtt" /dev/cdc-wdm0 300 2>&1 || true)"
  echo "# bench: $out"
  vm_check "CTL Sync round trips through the kernel" grep -q "median" <<<"$out"
else
  vm_skip "CTL Sync round trips through the kernel" "no target/release/examples/qmi_rtt: cargo build --release --examples"
fi

# The AT port is the one on interface 3.
at_tty="$(ls "/sys/bus/usb/devices/$dev:1.3/" | grep -m1 '^ttyUSB')"
at() {
  local reply
  stty -F "/dev/$at_tty" raw -echo
  exec 3<>"/dev/$at_tty"
  printf '%s\r' "$1" >&3
  reply="$(timeout 3 cat <&3 || true)"
  exec 3>&-
  printf '%s' "$reply"
}
reply="$(at ATI)"
printf '%s\n' "$reply" | sed 's/^/#   /'
vm_check "AT port ($at_tty) answers ATI with the model" grep -q "EM7305" <<<"$reply"
vm_check "AT port shows the IMEI" grep -q "$imei" <<<"$reply"

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
vm_check "host sees the device go" vm_wait_for 10 sh -c '! lsusb -d 1199:9041'
vm_check "gadget removed from configfs" test -z "$(ls /sys/kernel/config/usb_gadget)"
vm_done
