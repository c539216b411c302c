#!/bin/bash
# Stage 2, PID 1 on the host root (read-only 9p). Finishes the mounts, runs
# the job's script as root in the project root with its output on the second
# serial port (the host's stdout), writes its exit status to the results
# export and powers off. Never returns: PID 1 exiting would panic.
set -uo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
# Output for the host goes to ttyS1 (stdio of qemu); ttyS0 is the kernel
# console, kept in console.log. Raw, so lines do not gain a \r.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec </dev/null >/dev/ttyS1 2>&1

off() {
  sync
  echo o > /proc/sysrq-trigger
  sleep 10
}

# shellcheck source=/dev/null
. /run/vm/job

mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t configfs configfs /sys/kernel/config
mount -t debugfs debugfs /sys/kernel/debug
# The results export also appears at its host path, so logs name one path.
mount --bind /run/vm "$VM_RESULTS"
# Modules the kernel asks for later (request_module) come from the cached
# kernel tree, not the host's /lib/modules (which does not exist).
echo "$VM_ROOT/scripts/vm/guest-modprobe" > /proc/sys/kernel/modprobe
hostname vmodem-vm
ip link set lo up

export VMODEM_ROOT="$VM_ROOT" VM_RESULTS VM_KDIR VM_KVER
for kv in "${VM_ENV[@]}"; do export "${kv?}"; done
cd "$VM_CWD" || { echo "vm: cannot cd to $VM_CWD"; echo 125 > /run/vm/exit-status; off; }

echo "# vm: kernel $(uname -r) up in $(cut -d' ' -f1 /proc/uptime) s; running ${VM_SCRIPT#"$VM_ROOT"/}"
if [ -x "$VM_SCRIPT" ]; then
  "$VM_SCRIPT" "${VM_ARGS[@]}"
else
  bash "$VM_SCRIPT" "${VM_ARGS[@]}"
fi
rc=$?
# Not on stdout: a test's own last line ("vm: N passed, M failed") stays last.
cut -d' ' -f1 /proc/uptime > /run/vm/guest-uptime
dmesg > /run/vm/dmesg.log 2>&1
echo "$rc" > /run/vm/exit-status
off
