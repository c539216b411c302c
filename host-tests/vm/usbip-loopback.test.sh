#!/usr/bin/env bash
# USB/IP inside the VM, on loopback only: a gadget on dummy_hcd is exported
# by the kernel's usbip-host + usbipd and imported through vhci_hcd with the
# usbip tool, the path vmodem's own USB/IP server will take (vhci_hcd on
# the host side, no gadget hardware). 127.0.0.1 only; the VM has no NIC.
set -euo pipefail
# shellcheck source=host-tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"

g="$VM_GADGETS/vmusbip"
vm_gadget_remove vmusbip
mkdir "$g" "$g/strings/0x409" "$g/configs/c.1" "$g/functions/acm.GS1"
echo 0x1199 > "$g/idVendor"
echo 0x9041 > "$g/idProduct"
echo "vmodem usbip" > "$g/strings/0x409/product"
ln -s "$g/functions/acm.GS1" "$g/configs/c.1/"
echo dummy_udc.0 > "$g/UDC"

# The gadget's bus id on the dummy_hcd side (e.g. 1-1).
busid_of() {
  local d
  for d in /sys/bus/usb/devices/*; do
    [ "$(cat "$d/idVendor" 2>/dev/null)" = 1199 ] || continue
    [ "$(cat "$d/idProduct")" = 9041 ] || continue
    # vhci-attached copies hang under the vhci root hub; skip them.
    case "$(readlink -f "$d")" in *vhci*) continue ;; esac
    echo "${d##*/}"
    return 0
  done
  return 1
}
vm_check "gadget enumerated on dummy_hcd" vm_wait_for 20 busid_of
busid="$(busid_of)"

usbipd -D
vm_check "usbipd listening on 3240" vm_wait_for 10 sh -c 'ss -ltn | grep -q ":3240 "'
vm_check "usbip bind -b $busid" usbip bind -b "$busid"
vm_check "device exportable on 127.0.0.1" sh -c "usbip list -r 127.0.0.1 | grep -q '$busid'"
vm_check "usbip attach" usbip attach -r 127.0.0.1 -b "$busid"
imported() { [ "$(lsusb -d 1199:9041 | wc -l)" -eq 2 ]; }
vm_check "vhci_hcd shows a second 1199:9041" vm_wait_for 20 imported
vm_check "usbip port lists the import" sh -c 'usbip port | grep -q "1199:9041"'
vm_check "usbip detach" usbip detach -p 0
detached() { [ "$(lsusb -d 1199:9041 | wc -l)" -eq 1 ]; }
vm_check "import gone after detach" vm_wait_for 20 detached
vm_check "usbip unbind" usbip unbind -b "$busid"
kill "$(cat /run/usbipd.pid 2>/dev/null || pidof usbipd)" 2>/dev/null || true
vm_check "gadget removed" vm_gadget_remove vmusbip

vm_done
