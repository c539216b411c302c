#!/usr/bin/env bash
# Installs what the VM tier needs and caches Debian's kernel in target/vm/.
# Idempotent: with everything in place it touches neither apt nor the network.
#
# The host kernel has no USB gadget support and no modules, so the VM tier
# boots Debian's packaged kernel (dummy_hcd, usb_f_fs, qmi_wwan... are modules
# there). It is extracted with dpkg -x into the project tree, never installed
# on the host, so the host's /lib/modules stays untouched.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="$root/target/vm"

# Every tool a VM test runs comes from here (host-tests/vm/lib.sh's vm_need
# fails a test whose tool is missing): jq reads the events logs, tshark the
# captures, usbutils has lsusb and usbreset, iproute2 ip and ss, udhcpc and
# ofono are the DHCP hosts of dhcp-hosts.test.sh.
pkgs=(qemu-system-x86 busybox-static python3 cpio kmod xz-utils zstd
      libqmi-utils libmbim-utils modemmanager usbutils udev dbus usbip
      jq tshark iproute2 procps udhcpc ofono network-manager ofono-scripts
      python3-dbus)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
apt_updated=0
apt_update() {
  # apt-cache knows nothing useful before an update on a fresh machine.
  if [ "$apt_updated" -eq 0 ]; then
    echo "vm-setup: apt-get update"
    "${sudo_cmd[@]}" apt-get update -qq
    apt_updated=1
  fi
}

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt_update
  echo "vm-setup: installing ${missing[*]}"
  # wireshark-common would ask whether non-root users may capture: no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" |
    "${sudo_cmd[@]}" debconf-set-selections
  # Recommends would pull in GUIs, firmware and policy kits the tier never uses.
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernel: reuse a cached one; otherwise resolve the real package behind the
# linux-image-amd64 metapackage (its version moves with security updates).
mkdir -p "$cache/kernel"
if [ -s "$cache/kernel/current" ] && [ -d "$cache/kernel/$(cat "$cache/kernel/current")" ]; then
  exit 0
fi
apt_update
kpkg="$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')"
[ -n "$kpkg" ] || { echo "vm-setup: cannot resolve linux-image-amd64" >&2; exit 1; }
kver="${kpkg#linux-image-}"
echo "vm-setup: kernel $kpkg"
dl="$cache/kernel/deb"
rm -rf "$dl" "$cache/kernel/$kver.part"
mkdir -p "$dl"
# As root, apt would hand the download to _apt, which cannot write here.
sandbox=()
[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
(cd "$dl" && apt-get download -qq "${sandbox[@]}" "$kpkg")
deb="$(ls "$dl"/"$kpkg"_*.deb)"
dpkg -x "$deb" "$cache/kernel/$kver.part"
# The .deb ships no modules.dep.
depmod -b "$cache/kernel/$kver.part" "$kver"
mv "$cache/kernel/$kver.part" "$cache/kernel/$kver"
rm -rf "$dl"
echo "$kver" > "$cache/kernel/current"
echo "vm-setup: kernel $kver ready in target/vm/kernel/$kver"
