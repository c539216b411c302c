#!/usr/bin/env bash
# A host that pulls the rug: qmi_wwan unloaded mid-session, the device
# de-authorised and re-authorised (a host-side reset). vmodem must keep
# serving once the driver is back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin="$PWD/target/release/vmodem"
imei="$(sed -n 's/^imei = "\(.*\)"/\1/p' sim/core/profiles/em7305.toml)"
ids_ok() { qmicli -d /dev/cdc-wdm0 --dms-get-ids 2>&1 | grep -q "IMEI: '$imei'"; }

vm_check "udev started" vm_start_udev
"$bin" run --transport ffs >"$VM_RESULTS/vmodem-kills.log" 2>&1 &
pid=$!
vm_check "host created /dev/cdc-wdm0" vm_wait_path 30 /dev/cdc-wdm0
vm_check "qmicli works before" vm_wait_for 10 ids_ok

# A client left allocated, then the driver goes away under it.
qmicli -d /dev/cdc-wdm0 --nas-get-signal-info --client-no-release-cid >/dev/null 2>&1 || true
vm_check "qmi_wwan unloaded" rmmod qmi_wwan
vm_check "cdc-wdm0 gone" vm_wait_for 10 test ! -e /dev/cdc-wdm0
vm_check "qmi_wwan loaded again" vm_modprobe qmi_wwan
vm_check "cdc-wdm0 back" vm_wait_path 20 /dev/cdc-wdm0
vm_check "vmodem still serving after the driver came back" vm_wait_for 20 ids_ok

# Host-side reset: de-authorise and re-authorise the device.
dev="$(dirname "$(grep -l '^9041$' /sys/bus/usb/devices/*/idProduct | head -1)")"
vm_check "device de-authorised" sh -c "echo 0 > $dev/authorized"
vm_check "cdc-wdm0 gone after de-authorise" vm_wait_for 10 test ! -e /dev/cdc-wdm0
vm_check "device re-authorised" sh -c "echo 1 > $dev/authorized"
vm_check "cdc-wdm0 back after re-authorise" vm_wait_path 20 /dev/cdc-wdm0
vm_check "vmodem still serving after the host reset" vm_wait_for 20 ids_ok

# A USB port reset (what usbreset does): the device re-enumerates in place.
busnum="$(cat "$dev/busnum")" devnum="$(cat "$dev/devnum")"
if vm_need usbreset; then
  vm_check "usbreset of the device" usbreset "$(printf '%03d/%03d' "$busnum" "$devnum")"
  vm_check "vmodem still serving after usbreset" vm_wait_for 30 ids_ok
else
  vm_skip "usbreset of the device" "no usbreset"
  vm_skip "vmodem still serving after usbreset" "no usbreset"
fi

vm_check "vmodem process alive throughout" kill -0 "$pid"
kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
vm_done
