#!/usr/bin/env bash
# Boots Debian's kernel under qemu (TCG) with the host root read-only over
# 9p and runs one script inside it as root, from the project root.
#
#   scripts/vm/run.sh [--timeout S] SCRIPT [ARGS...]
#
# SCRIPT's output streams to stdout; the exit status is SCRIPT's. A guest
# that panics, never boots or outlives the timeout fails with 125 or 124.
# Logs stay in target/vm/results/ (or $VM_RESULTS): console.log (kernel
# console), dmesg.log, and whatever the script writes there.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="$root/target/vm"

timeout_s=600
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) timeout_s="$2"; shift 2 ;;
    --timeout=*) timeout_s="${1#*=}"; shift ;;
    --) shift; break ;;
    -*) echo "usage: $0 [--timeout S] SCRIPT [ARGS...]" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--timeout S] SCRIPT [ARGS...]" >&2; exit 2; }
script="$(realpath -- "$1")"; shift
case "$script" in
  "$root"/*) ;;
  *) echo "vm: $script is not inside the project tree $root" >&2; exit 2 ;;
esac
[ -f "$script" ] || { echo "vm: no such script $script" >&2; exit 2; }
# The job travels to the guest as bash; keep the one path stage 1 reads simple.
case "$root" in *[[:space:]]*) echo "vm: the project path must not contain whitespace" >&2; exit 2 ;; esac

[ -s "$cache/kernel/current" ] || { echo "vm: no cached kernel; run scripts/vm/setup.sh" >&2; exit 2; }
kver="$(cat "$cache/kernel/current")"
kdir="$cache/kernel/$kver"
vmlinuz="$kdir/boot/vmlinuz-$kver"
[ -f "$vmlinuz" ] || { echo "vm: $vmlinuz missing; run scripts/vm/setup.sh" >&2; exit 2; }

# Modules loaded at boot, with their dependencies. Extra ones:
# VM_EXTRA_MODULES="a b"; anything else loads on demand via guest-modprobe.
modules=(virtio_pci 9pnet_virtio 9p configfs
  libcomposite dummy_hcd usb_f_fs gadgetfs usb_f_acm usb_f_ecm usb_f_ncm usb_f_serial
  usbserial qcserial cdc_wdm qmi_wwan cdc_mbim cdc_ncm cdc_ether cdc_acm
  usbmon vhci_hcd usbip_core usbip_host)
read -r -a extra <<<"${VM_EXTRA_MODULES:-}"
modules+=(${extra[@]+"${extra[@]}"})

# The initramfs: busybox, the modules in load order, stage 1. Rebuilt only
# when one of its inputs changes.
initramfs_inputs() {
  echo "$kver ${modules[*]}"
  sha256sum "$root/scripts/vm/init" /bin/busybox
}
key="$(initramfs_inputs | sha256sum | cut -c1-16)"
initrd="$cache/initramfs-$key.cpio"
# Two boots may start side by side (scripts/vm/test.sh): one builds, the
# other waits for it, so neither reads a half-built image or list.
exec 9>"$cache/initramfs.lock"
flock 9
if [ ! -f "$initrd" ]; then
  stage="$cache/initramfs.d"
  rm -rf "$stage" "$cache"/initramfs-*.cpio
  mkdir -p "$stage/bin" "$stage/modules"
  cp /bin/busybox "$stage/bin/busybox"
  cp "$root/scripts/vm/init" "$stage/init"
  : > "$stage/modules/load.list"
  for m in "${modules[@]}"; do
    modprobe -d "$kdir" -S "$kver" --show-depends "$m" | while read -r kind path _; do
      [ "$kind" = insmod ] || continue  # "builtin NAME" needs no loading
      ko="$(basename "$path")"
      grep -qxF "$ko" "$stage/modules/load.list" && continue
      cp "$path" "$stage/modules/$ko"
      echo "$ko" >> "$stage/modules/load.list"
    done
  done
  (cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) > "$initrd.part"
  mv "$initrd.part" "$initrd"
  rm -rf "$stage"
fi
flock -u 9
exec 9>&-

# The results export: cleared for each run. Overridable so two runs can
# go side by side.
results="${VM_RESULTS:-$cache/results}"
mkdir -p "$results"
results="$(realpath "$results")"
case "$results" in "$root"/*) ;; *) echo "vm: VM_RESULTS must be inside the project tree" >&2; exit 2 ;; esac
find "$results" -mindepth 1 -delete
echo "$root" > "$results/root"
{
  printf 'VM_ROOT=%q\n' "$root"
  printf 'VM_CWD=%q\n' "$root"
  printf 'VM_RESULTS=%q\n' "$results"
  printf 'VM_KVER=%q\nVM_KDIR=%q\n' "$kver" "$kdir"
  printf 'VM_SCRIPT=%q\n' "$script"
  printf 'VM_ARGS=('; for a in "$@"; do printf ' %q' "$a"; done; printf ' )\n'
  # Pass-through for what tests and the binary read.
  printf 'VM_ENV=('
  while IFS= read -r kv; do printf ' %q' "$kv"; done < <(env | grep -E '^(RUST_[A-Z_]*|VMODEM_[A-Z0-9_]*)=' || true)
  printf ' )\n'
} > "$results/job"

# Boot watchdog: under TCG on a loaded host the kernel has been seen to
# stop for good early in boot (right after "8254 timer not connected to
# IO-APIC"), which would hold the run until its timeout. The initramfs
# marks the results export once it runs; without the mark within
# VM_BOOT_WATCH_S (default 300) seconds the boot is killed and tried again,
# up to twice. no_timer_check skips the kernel's IO-APIC timer probe, the
# step that stalled.
boot_watch_s="${VM_BOOT_WATCH_S:-300}"
start=$(date +%s.%N)
set +e
for attempt in 1 2 3; do
  find "$results" -mindepth 1 ! -name root ! -name job -delete
  # TCG only: nested KVM hangs or aborts on these machines. -nic none: the
  # guest has no network at all. panic=-1 + -no-reboot: a panic ends qemu.
  # timeout: a hang ends it too.
  timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
    -accel tcg -cpu max -smp 2 -m 2048 \
    -nodefaults -display none -vga none -nic none -no-reboot \
    -kernel "$vmlinuz" -initrd "$initrd" \
    -append "console=ttyS0 loglevel=4 panic=-1 oops=panic no_timer_check rdinit=/init" \
    -serial "file:$results/console.log" \
    -chardev stdio,id=out -serial chardev:out \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$root,mount_tag=project,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap" \
    </dev/null &
  qpid=$!
  waited=0
  while [ ! -e "$results/booted" ] && kill -0 "$qpid" 2>/dev/null && [ "$waited" -lt "$boot_watch_s" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if [ ! -e "$results/booted" ] && kill -0 "$qpid" 2>/dev/null; then
    echo "vm: BOOT STALLED: no boot mark after ${boot_watch_s} s (attempt $attempt of 3); console:" >&2
    tail -n 5 "$results/console.log" >&2 || true
    kill "$qpid" 2>/dev/null
    wait "$qpid"
    qrc=125
    continue
  fi
  wait "$qpid"
  qrc=$?
  break
done
set -e
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
  echo "vm: TIMEOUT: the guest was still running after ${timeout_s} s; killed" >&2
  echo "vm: last kernel console lines ($results/console.log):" >&2
  tail -n 30 "$results/console.log" >&2 || true
  exit 124
fi
if [ ! -s "$results/exit-status" ]; then
  if grep -q 'Kernel panic' "$results/console.log" 2>/dev/null; then
    echo "vm: KERNEL PANIC after ${elapsed} s (qemu exit $qrc):" >&2
    grep -m1 'Kernel panic' "$results/console.log" >&2
    echo "vm: last kernel console lines ($results/console.log):" >&2
  else
    echo "vm: the guest stopped without an exit status after ${elapsed} s (qemu exit $qrc); console:" >&2
  fi
  tail -n 40 "$results/console.log" >&2 || true
  exit 125
fi
rc="$(cat "$results/exit-status")"
# Kept off stdout so the script's own last line stays the last line.
echo "wall ${elapsed} s, guest uptime $(cat "$results/guest-uptime" 2>/dev/null) s, exit $rc" > "$results/timing"
[ "${VM_VERBOSE:-0}" = 0 ] || echo "# vm: $(cat "$results/timing")" >&2
exit "$rc"
