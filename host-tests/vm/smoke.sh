#!/usr/bin/env bash
# Smoke test of the VM tier itself: the kernel pieces a virtual EM7305 needs
# are there, a configfs gadget with the EM7305's IDs enumerates on the host
# side of dummy_hcd and goes away cleanly, and the host stack (udev, D-Bus,
# ModemManager, qmicli) runs. Run: scripts/vm/run.sh host-tests/vm/smoke.sh
set -euo pipefail
# shellcheck source=host-tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

vm_check "dummy_udc.0 under /sys/class/udc" test -e /sys/class/udc/dummy_udc.0
vm_check "configfs mounted at /sys/kernel/config" \
  grep -q '^configfs /sys/kernel/config configfs ' /proc/mounts
vm_check "usb_gadget in configfs" test -d "$VM_GADGETS"
for m in dummy_hcd libcomposite usb_f_fs qmi_wwan cdc_wdm qcserial usbserial \
  cdc_mbim cdc_ncm usbmon vhci_hcd usbip_core; do
  vm_check "module $m loaded" test -d "/sys/module/$m"
done
vm_check "usbmon text interface" test -e /sys/kernel/debug/usb/usbmon/0u

# udev first, so the gadget's host side gets its /dev nodes and links.
vm_check "udev started" vm_start_udev
vm_check "dbus started" vm_start_dbus

# A minimal gadget with the EM7305 QMI IDs. Its one function is ACM
# (usb_f_acm): it needs no userspace, so it truly enumerates; the real
# vmodem gadget uses FunctionFS, checked separately below.
g="$VM_GADGETS/vmsmoke"
vm_gadget_remove vmsmoke
make_gadget() {
  mkdir "$g"
  echo 0x1199 > "$g/idVendor"
  echo 0x9041 > "$g/idProduct"
  mkdir "$g/strings/0x409"
  echo "Sierra Wireless, Incorporated" > "$g/strings/0x409/manufacturer"
  echo "vmodem smoke" > "$g/strings/0x409/product"
  echo "0123456789" > "$g/strings/0x409/serialnumber"
  mkdir "$g/configs/c.1" "$g/configs/c.1/strings/0x409"
  echo "smoke" > "$g/configs/c.1/strings/0x409/configuration"
  mkdir "$g/functions/acm.GS0"
  ln -s "$g/functions/acm.GS0" "$g/configs/c.1/"
}
vm_check "configfs gadget 1199:9041 created" make_gadget
vm_check "gadget bound to dummy_udc.0" sh -c "echo dummy_udc.0 > '$g/UDC'"
seen() { lsusb -d 1199:9041; }
if vm_wait_for 20 seen; then
  vm_ok "host side sees 1199:9041 in lsusb"
  lsusb -d 1199:9041 | sed 's/^/#   /'
else
  vm_not_ok "host side sees 1199:9041 in lsusb" "$(lsusb 2>&1 | tr '\n' ';')"
fi
vm_check "udc state is configured" vm_wait_for 10 grep -qx configured /sys/class/udc/dummy_udc.0/state
vm_check "gadget unbound" sh -c "echo '' > '$g/UDC'"
gone() { ! lsusb -d 1199:9041; }
vm_check "1199:9041 gone from lsusb after unbind" vm_wait_for 20 gone
vm_check "gadget removed from configfs" vm_gadget_remove vmsmoke
vm_check "configfs has no gadget left" test ! -e "$g"

# FunctionFS: an ffs instance mounts and offers ep0, which is where vmodem
# writes its descriptors (it cannot bind without a process behind it).
ffs="/run/vmsmoke-ffs"
make_ffs() {
  mkdir -p "$g/functions/ffs.vmsmoke" "$ffs"
  mount -t functionfs vmsmoke "$ffs"
}
vm_check "functionfs instance mounted" make_ffs
vm_check "functionfs offers ep0" test -e "$ffs/ep0"
vm_check "functionfs gadget removed" vm_gadget_remove vmsmoke

vm_check "ModemManager started and mmcli -L answers" vm_start_mm
if out="$(mmcli -L 2>&1)" && grep -q 'No modems were found' <<<"$out"; then
  vm_ok "mmcli -L lists no modems"
else
  vm_not_ok "mmcli -L lists no modems" "$out"
fi
vm_check "qmicli --version runs" qmicli --version
vm_check "mbimcli --version runs" mbimcli --version
vm_check "no kernel oops or BUG" sh -c '! dmesg | grep -E "Oops|BUG:|WARNING:"'

vm_done
