#!/usr/bin/env bash
# The EM7305 through GadgetFS on dummy_hcd, with the personality's own
# descriptors: composition 6 reads as the USB/IP reference (interfaces 0,
# 2, 3 and 8, no placeholders) with qcserial and qmi_wwan bound; a firmware
# reset asked for over QMI brings it back in composition 9, which reads as
# USB/IP serves composition 9, with cdc_mbim bound; the boot loader
# (1199:9040) and a power cycle re-enumerate; in composition 9,
# ModemManager unlocks, registers and connects over MBIM and pings cross
# the gadget.
# GadgetFS's own two differences (docs/usb.md) are applied to the
# references. Needs target/release/vmodem. Loopback only.
set -euo pipefail
# shellcheck source=host-tests/vm/lib.sh
. "$(dirname "$0")/lib.sh"
bin="$PWD/target/release/vmodem"
profile="sim/core/profiles/em7305.toml"
sock=/tmp/vmodem-gadgetfs.sock
log="$VM_RESULTS/vmodem-gadgetfs.log"
pid=
cleanup() {
  [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
  umount /dev/gadget 2>/dev/null || true
}
trap cleanup EXIT

# The body of lsusb -v as usbip.test.sh stores it.
lsusb_body() { lsusb -v -d "$1" 2>/dev/null | grep -v '^Bus ' | sed '/^$/d'; }
# What GadgetFS cannot describe like USB/IP: the kernel refuses a
# configuration with the remote-wakeup bit, the controller answers
# GET_STATUS itself, as bus powered (GadgetFS never says otherwise), and
# EP0 carries 256 bytes at most, so MBIM's wMaxControlMessage says so.
gadgetfs_view() {
  sed -e 's/^\(    bmAttributes         \)0xe0$/\10xc0/' \
    -e 's/^\(        wMaxControlMessage   \)4096$/\1256/' \
    -e '/^      Remote Wakeup$/d' \
    -e 's/^Device Status:     0x0001$/Device Status:     0x0000/' \
    -e 's/^  Self Powered$/  (Bus Powered)/'
}
# The dummy_hcd device of VID:PID (not one imported over USB/IP).
dummy_dev() {
  local d
  for d in /sys/bus/usb/devices/[0-9]*; do
    [ -f "$d/idProduct" ] || continue
    case "$(readlink -f "$d")" in *dummy_hcd*) ;; *) continue ;; esac
    [ "$(cat "$d/idVendor"):$(cat "$d/idProduct")" = "$1" ] || continue
    echo "${d##*/}"
    return 0
  done
  return 1
}
ctl() { "$bin" ctl --socket "$sock" "$@"; }

vm_check "vmodem release binary built" test -x "$bin"
vm_check "udev started" vm_start_udev
vm_check "gadgetfs module loaded" grep -qw gadgetfs /proc/filesystems
mkdir -p /dev/gadget
vm_check "GadgetFS mounted at /dev/gadget" mount -t gadgetfs gadgetfs /dev/gadget
echo "# /dev/gadget: $(ls /dev/gadget | tr '\n' ' ')"

# --- The USB/IP reference of composition 9, served live ------------------
vm_check "vhci_hcd loaded" vm_modprobe vhci_hcd
"$bin" run --transport usbip --composition mbim >"$VM_RESULTS/vmodem-gadgetfs-usbip.log" 2>&1 &
upid=$!
vm_check "USB/IP server listens" vm_wait_for 20 sh -c 'ss -ltn | grep -q "127.0.0.1:3240 "'
vm_check "usbip attach composition 9" usbip attach -r 127.0.0.1 -b 1-1
mbim_on_vhci() { d="$(vm_vhci_dev)" && test -e "/sys/bus/usb/drivers/cdc_mbim/$d:1.12"; }
vm_check "cdc_mbim bound over USB/IP" vm_wait_for 30 mbim_on_vhci
lsusb_body 1199:9041 | gadgetfs_view >"$VM_RESULTS/lsusb-gadgetfs-reference-9.txt"
kill "$upid" 2>/dev/null || true
wait "$upid" 2>/dev/null || true
vm_check "the USB/IP device is gone" vm_wait_for 20 sh -c '! lsusb -d 1199:9041'

# --- Composition 6 over GadgetFS -----------------------------------------
rm -f "$sock"
"$bin" -v run --transport gadgetfs --composition qmi --control "$sock" >"$log" 2>&1 &
pid=$!
if vm_wait_path 30 /dev/cdc-wdm0; then
  vm_ok "host created /dev/cdc-wdm0 (QMI)"
else
  vm_not_ok "host created /dev/cdc-wdm0 (QMI)" "$(tail -5 "$log" | tr '\n' ';')"
fi
udevadm settle --timeout=10 || true
dev="$(dummy_dev 1199:9041 || true)"
vm_check "1199:9041 on dummy_hcd" test -n "$dev"
lsusb_body 1199:9041 >"$VM_RESULTS/lsusb-gadgetfs-6.txt"
gadgetfs_view <host-tests/vm/reference/em7305-qmi.lsusb.txt >"$VM_RESULTS/lsusb-gadgetfs-reference-6.txt"
vm_check "lsusb -v is the USB/IP reference (host-tests/vm/reference/em7305-qmi.lsusb.txt)" \
  diff -u "$VM_RESULTS/lsusb-gadgetfs-reference-6.txt" "$VM_RESULTS/lsusb-gadgetfs-6.txt"
vm_check "4 interfaces, 160 bytes: no placeholders" \
  grep -q "wTotalLength       0x00a0" "$VM_RESULTS/lsusb-gadgetfs-6.txt"
for i in 0 2 3; do
  vm_check "qcserial bound to interface $i" test -e "/sys/bus/usb/drivers/qcserial/$dev:1.$i"
done
vm_check "qmi_wwan bound to interface 8" test -e "/sys/bus/usb/drivers/qmi_wwan/$dev:1.8"
imei="$(sed -n 's/^imei = "\(.*\)"/\1/p' "$profile")"
out="$(qmicli -d /dev/cdc-wdm0 --dms-get-ids 2>&1 || true)"
printf '%s\n' "$out" | sed 's/^/#   /'
vm_check "qmicli reads the IMEI over GadgetFS" grep -q "IMEI: '$imei'" <<<"$out"
at_tty="$(ls "/sys/bus/usb/devices/$dev:1.3/" 2>/dev/null | grep -m1 '^ttyUSB' || true)"
at() {
  local reply
  stty -F "/dev/$at_tty" raw -echo
  exec 3<>"/dev/$at_tty"
  printf 'ATI\r' >&3
  reply="$(timeout 3 cat <&3 || true)"
  exec 3>&-
  printf '%s' "$reply"
}
reply="$(at 2>&1 || true)"
printf '%s\n' "$reply" | sed 's/^/#   /'
vm_check "the AT port ($at_tty) answers ATI" grep -q "Model: EM7305" <<<"$reply"

# --- A firmware reset into composition 9 ---------------------------------
vm_check "qmicli: set USB composition 9" qmicli -d /dev/cdc-wdm0 --dms-swi-set-usb-composition=9
vm_check "qmicli: operating mode offline" qmicli -d /dev/cdc-wdm0 --dms-set-operating-mode=offline
qmicli -d /dev/cdc-wdm0 --dms-set-operating-mode=reset 2>&1 | sed 's/^/#   /' || true
vm_check "the module left the bus" vm_wait_for 20 sh -c '! test -e /sys/bus/usb/drivers/qmi_wwan/'"$dev"':1.8'
mbim_on_dummy() { d="$(dummy_dev 1199:9041)" && test -e "/sys/bus/usb/drivers/cdc_mbim/$d:1.12"; }
if vm_wait_for 60 mbim_on_dummy; then
  vm_ok "back in composition 9: cdc_mbim bound to interface 12"
else
  vm_not_ok "back in composition 9: cdc_mbim bound to interface 12" "$(tail -3 "$log" | tr '\n' ';')"
  # Where vmodem waits, for the log; the rest depends on this.
  for t in /proc/"$pid"/task/*; do
    echo "# $(cat "$t/comm" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)"
    sed 's/^/#   /' "$t/stack" 2>/dev/null || true
  done
  vm_done
  exit 0
fi
vm_check "host created /dev/cdc-wdm0 (MBIM)" vm_wait_path 30 /dev/cdc-wdm0
udevadm settle --timeout=10 || true
dev="$(dummy_dev 1199:9041 || true)"
lsusb_body 1199:9041 >"$VM_RESULTS/lsusb-gadgetfs-9.txt"
vm_check "lsusb -v is what USB/IP serves for composition 9" \
  diff -u "$VM_RESULTS/lsusb-gadgetfs-reference-9.txt" "$VM_RESULTS/lsusb-gadgetfs-9.txt"
vm_check "the MBIM functional descriptor reaches the host" grep -q "MBIM Extended" "$VM_RESULTS/lsusb-gadgetfs-9.txt"
net="$(ls "/sys/bus/usb/devices/$dev:1.12/net" 2>/dev/null | head -1)"
vm_check "MBIM netdev exists ($net)" test -n "$net"

# --- ModemManager over MBIM on the gadget ---------------------------------
out="$(mbimcli -d /dev/cdc-wdm0 -p --query-device-services 2>&1 || true)"
vm_check "mbimcli lists the device services (its answer fills EP0: 256 bytes)" \
  grep -q "Service: 'basic-connect'" <<<"$out"
mbimcli -d /dev/cdc-wdm0 -p --noop-release >/dev/null 2>&1 || true
vm_check "D-Bus started" vm_start_dbus
vm_check "ModemManager started" vm_start_mm
listed() { test -n "$(vm_modem_ids)"; }
vm_check "ModemManager lists the modem" vm_wait_for 120 listed
m="$(vm_modem_ids | head -1)"
vm_modem "$m" >"$VM_RESULTS/mm-gadgetfs-modem.txt"
vm_check "ModemManager drives it over MBIM" grep -q "cdc-wdm0 (mbim)" "$VM_RESULTS/mm-gadgetfs-modem.txt"
sim="$(vm_sim_of "$m")"
vm_check "modem is locked (sim-pin)" vm_locked "$m"
vm_check "PIN 1234 unlocks over MBIM" mmcli -i "$sim" --pin=1234
vm_check "modem initialised (disabled)" vm_wait_for 60 vm_state_is "$m" disabled
vm_check "modem enables" mmcli -m "$m" -e
vm_check "modem reaches state registered" vm_wait_for 60 vm_state_is "$m" "(registered|connected)"
vm_check "simple-connect apn=internet" mmcli -m "$m" --simple-connect="apn=internet,ip-type=ipv4"
b="$(vm_modem "$m" | sed -n 's|.*Bearer/\([0-9]*\).*|\1|p' | tail -1)"
bearer="$(mmcli -b "$b" 2>&1 | vm_plain)"
apn_v4="$(sed -n 's/^ipv4-address = "\(.*\)"/\1/p' "$profile")"
apn_gw="$(sed -n 's/^ipv4-gateway = "\(.*\)"/\1/p' "$profile")"
vm_check "bearer connected with $apn_v4" grep -q "address: $apn_v4" <<<"$bearer"
vm_check "$net up with the bearer's address" sh -c "ip link set $net up && ip addr add $apn_v4/24 dev $net"
ping_out="$(busybox ping -c 5 -W 3 "$apn_gw" 2>&1 || true)"
printf '%s\n' "$ping_out" | tail -2 | sed 's/^/#   /'
vm_check "ping the gateway through the gadget's NTBs: 5 replies" \
  grep -q "5 packets transmitted, 5 packets received" <<<"$ping_out"
ping_out="$(busybox ping -c 3 -s 1400 -W 3 "$apn_gw" 2>&1 || true)"
vm_check "1400-byte pings: 3 replies" grep -q "3 packets transmitted, 3 packets received" <<<"$ping_out"
vm_check "simple-disconnect" mmcli -m "$m" --simple-disconnect
vm_stop_mm

# --- The boot loader's descriptors, then a power cycle --------------------
vm_check "ctl bootloader" ctl bootloader
vm_check "1199:9040 enumerated" vm_wait_for 60 dummy_dev 1199:9040
vm_check "qcserial binds its one ttyUSB" vm_wait_path 30 /dev/ttyUSB0
lsusb -v -d 1199:9040 >"$VM_RESULTS/lsusb-gadgetfs-9040.txt" 2>&1 || true
vm_check "boot loader: one interface, two bulk endpoints" sh -c \
  "grep -q 'bNumInterfaces *1' $VM_RESULTS/lsusb-gadgetfs-9040.txt &&
   test \$(grep -c 'Transfer Type *Bulk' $VM_RESULTS/lsusb-gadgetfs-9040.txt) -eq 2"
# The public dump of a real boot loader (qcserial's 1199:9062 addition):
# bcdDevice 0.00, no serial string, bus powered, 2 mA. GadgetFS sends
# the personality's descriptors as they are, the serial index included.
bl() { awk -v k="$1" '$1 == k { print $2; exit }' "$VM_RESULTS/lsusb-gadgetfs-9040.txt"; }
vm_check "boot loader: bcdDevice 0.00" test "$(bl bcdDevice)" = 0.00
vm_check "boot loader: no serial string" test "$(bl iSerial)" = 0
vm_check "boot loader: MaxPower 2mA" test "$(bl MaxPower)" = 2mA
vm_check "boot loader: bus powered (bmAttributes 0x80)" test "$(bl bmAttributes)" = 0x80
vm_check "no 9041 meanwhile" sh -c '! lsusb -d 1199:9041'
vm_check "ctl power-cycle" ctl power-cycle
vm_check "back as 9041 in composition 9" vm_wait_for 60 mbim_on_dummy

kill -TERM "$pid"
vm_check "vmodem exits on SIGTERM" vm_wait_for 10 sh -c "! kill -0 $pid"
pid=
vm_check "the gadget left the bus" vm_wait_for 10 sh -c '! lsusb -d 1199:'
vm_done
