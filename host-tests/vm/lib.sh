# shellcheck shell=bash
# Guest-side helpers for VM-tier tests (source it; runs inside the VM as
# root, cwd = project root). Logs go to $VM_RESULTS, the writable export the
# host keeps after the VM is gone (target/vm/results/ by default).
#
# Reporting: each check prints "ok - NAME", "not ok - NAME" or
# "SKIP - NAME (REASON)"; vm_done prints "vm: N passed, M failed, K skipped"
# and returns non-zero on any failure.

VM_PASS=0
VM_FAIL=0
VM_SKIP=0
: "${VM_RESULTS:?lib.sh runs inside the VM (scripts/vm/run.sh)}"

vm_ok() { VM_PASS=$((VM_PASS + 1)); echo "ok - $1"; }
vm_not_ok() {
  VM_FAIL=$((VM_FAIL + 1))
  echo "not ok - $1"
  [ $# -lt 2 ] || echo "#   $2"
}
# vm_skip NAME REASON: a check that could not run here, counted as skipped
# (never as passed).
vm_skip() { VM_SKIP=$((VM_SKIP + 1)); echo "SKIP - $1 ($2)"; }

# vm_need TOOL...: scripts/vm/setup.sh installs every tool a test uses; one
# that is missing anyway is a failure, named, rather than checks that
# quietly pass without it. Returns non-zero if one is missing.
vm_need() {
  local t rc=0
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 && continue
    vm_not_ok "$t installed" "missing: scripts/vm/setup.sh installs it"
    rc=1
  done
  return "$rc"
}

# vm_check NAME CMD...: one check from one command's exit status. The
# command's own output is indented so it can never pass for a result line.
vm_check() {
  local name="$1" rc=0 out
  shift
  out="$("$@" 2>&1)" || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/#   /'
  if [ "$rc" -eq 0 ]; then vm_ok "$name"; else vm_not_ok "$name" "exit $rc: $*"; fi
  return 0
}

# vm_wait_for TIMEOUT_S CMD...: polls CMD (quietly) every 0.2 s until it
# succeeds; returns 1 once TIMEOUT_S has passed. Not faster: each try
# starts processes, which under TCG cost more than the pause, and a
# tighter loop takes the guest's CPU from what it waits for.
vm_wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# vm_wait_path TIMEOUT_S PATH: waits until PATH exists.
vm_wait_path() { vm_wait_for "$1" test -e "$2"; }

# vm_modprobe MOD...: loads a module from the cached Debian kernel (the host
# root has no /lib/modules for it).
vm_modprobe() { modprobe -d "$VM_KDIR" "$@"; }

vm_start_udev() {
  pgrep -x systemd-udevd >/dev/null && return 0
  /lib/systemd/systemd-udevd --daemon || return 1
  # Replays "add" for what booted before udevd, so /dev links and tags exist.
  udevadm trigger --action=add --type=subsystems
  udevadm trigger --action=add --type=devices
  udevadm settle --timeout=30
}

vm_start_dbus() {
  [ -S /run/dbus/system_bus_socket ] && return 0
  mkdir -p /run/dbus
  # /etc/machine-id may be missing on a build machine; /var/lib is tmpfs here.
  dbus-uuidgen --ensure
  dbus-daemon --system --fork || return 1
  vm_wait_path 10 /run/dbus/system_bus_socket
}

# vm_start_syslog: a /dev/log that throws away what it gets. Without one,
# syslog(3) falls back (LOG_CONS) to /dev/console, the guest's emulated
# serial port. ModemManager sends each log line to syslog as well as to
# stderr, and at debug level those console writes took tens of ms a line
# under TCG: enough to hold up its probing by seconds.
vm_start_syslog() {
  [ -S /dev/log ] && return 0
  /bin/busybox syslogd -O /dev/null -l 1 || return 1
  vm_wait_path 10 /dev/log
}

# vm_start_mm [ARGS...]: ModemManager --debug in the background, its log in
# $VM_RESULTS/ModemManager.log; returns once it answers on D-Bus. With
# VM_MM_LOG_LEVEL set (ERR, WARN, INFO) it runs at that level instead of
# --debug, which logs every QMI message and costs time under TCG.
vm_start_mm() {
  pgrep -x ModemManager >/dev/null && return 0
  vm_start_syslog || return 1
  local level=(--debug)
  [ -z "${VM_MM_LOG_LEVEL:-}" ] || level=(--log-level="$VM_MM_LOG_LEVEL")
  ModemManager "${level[@]}" "$@" >"$VM_RESULTS/ModemManager.log" 2>&1 &
  VM_MM_PID=$!
  vm_wait_for 60 mmcli -L
}

vm_stop_mm() {
  [ -n "${VM_MM_PID:-}" ] || return 0
  kill "$VM_MM_PID" 2>/dev/null || true
  wait "$VM_MM_PID" 2>/dev/null || true
  VM_MM_PID=
}

# vm_start_stack: udev, D-Bus and ModemManager, in the order they need.
vm_start_stack() { vm_start_udev && vm_start_dbus && vm_start_mm "$@"; }

VM_GADGETS=/sys/kernel/config/usb_gadget

# vm_gadget_remove NAME: unbinds and removes a configfs gadget, in the order
# configfs insists on (links, strings, configs, functions, gadget).
vm_gadget_remove() {
  local g="$VM_GADGETS/$1" f
  [ -d "$g" ] || return 0
  if [ -n "$(cat "$g/UDC" 2>/dev/null)" ]; then echo "" > "$g/UDC"; fi
  for f in "$g"/configs/*/*; do [ -L "$f" ] && rm "$f"; done
  for f in "$g"/configs/*/strings/*; do [ -d "$f" ] && rmdir "$f"; done
  for f in "$g"/configs/*; do [ -d "$f" ] && rmdir "$f"; done
  for f in "$g"/functions/*; do
    [ -d "$f" ] || continue
    # A FunctionFS instance can only go once its mount is gone.
    if [ "${f##*/}" != "${f##*/ffs.}" ]; then
      awk -v n="${f##*/ffs.}" '$3 == "functionfs" && $1 == n { print $2 }' /proc/mounts |
        while read -r m; do umount "$m"; done
    fi
    rmdir "$f"
  done
  for f in "$g"/strings/*; do [ -d "$f" ] && rmdir "$f"; done
  rmdir "$g"
}

# vm_vhci_device: "BUSID VID:PID" of the device imported through USB/IP
# (under vhci_hcd's root hub, not dummy_hcd's; the root hub itself is not
# one).
vm_vhci_device() {
  local d
  for d in /sys/bus/usb/devices/[0-9]*; do
    [ -f "$d/idVendor" ] || continue
    case "$(readlink -f "$d")" in *vhci*) ;; *) continue ;; esac
    echo "${d##*/} $(cat "$d/idVendor"):$(cat "$d/idProduct")"
    return 0
  done
  return 1
}
# vm_vhci_is VID:PID: that device is the one imported.
vm_vhci_is() { vm_vhci_device | grep -q " $1\$"; }
# vm_vhci_dev: the bus id of a 1199:9041 imported through USB/IP.
vm_vhci_dev() {
  local d
  d="$(vm_vhci_device)" || return 1
  [ "${d#* }" = 1199:9041 ] || return 1
  echo "${d%% *}"
}

# --- ModemManager, through mmcli --------------------------------------------
# mmcli colours some states; these compare plain text. Here-strings, not
# pipes, where grep -q could close a pipe early and fail it.
vm_plain() { sed 's/\x1b\[[0-9;]*m//g'; }
vm_modem_ids() { mmcli -L 2>/dev/null | vm_plain | sed -n 's|.*/Modem/\([0-9]*\).*|\1|p'; }
vm_modem() { mmcli -m "$1" 2>&1 | vm_plain; }
vm_sim_of() { vm_modem "$1" | sed -n 's|.*primary sim path: .*/SIM/\([0-9]*\).*|\1|p'; }
# vm_new_modem [OLD]: a modem other than OLD is listed (a new object after a
# re-enumeration); without OLD, any modem.
vm_new_modem() {
  local ids
  ids="$(vm_modem_ids)"
  [ -n "$ids" ] && grep -vx "${1:--}" <<<"$ids" >/dev/null
}
vm_modem_gone() { ! mmcli -m "$1" >/dev/null 2>&1; }
vm_locked() { grep -q "lock: sim-pin" <<<"$(vm_modem "$1")"; }
vm_unlocked() { ! vm_locked "$1"; }
vm_state_is() { grep -qE "^ *\| +state: $2" <<<"$(vm_modem "$1")"; }
vm_tech_is() { grep -q "access tech: $2" <<<"$(vm_modem "$1")"; }

# vm_port_hints FILE: udev rules in FILE that give ModemManager the
# EM7305's port types (QCDM on interface 0, GPS on 2, primary AT on 3), as
# its own 77-mm-sierra.rules does for the MC74xx and EM7565, whose
# interfaces are laid out the same; then udev reloads. ModemManager then
# probes the DM port for QCDM only, the NMEA port not at all. The caller
# removes FILE (and reloads) so the next file in the boot finds none.
vm_port_hints() {
  mkdir -p "${1%/*}"
  cat >"$1" <<'EOF'
ACTION!="add|change|move|bind", GOTO="vmodem_em7305_end"
SUBSYSTEMS=="usb", ATTRS{idVendor}=="1199", ATTRS{idProduct}=="9041", GOTO="vmodem_em7305"
GOTO="vmodem_em7305_end"
LABEL="vmodem_em7305"
SUBSYSTEMS=="usb", ATTRS{bInterfaceNumber}=="?*", ENV{.VMODEM_IFNUM}="$attr{bInterfaceNumber}"
SUBSYSTEM=="tty", ENV{.VMODEM_IFNUM}=="00", ENV{ID_MM_PORT_TYPE_QCDM}="1"
SUBSYSTEM=="tty", ENV{.VMODEM_IFNUM}=="02", ENV{ID_MM_PORT_TYPE_GPS}="1"
SUBSYSTEM=="tty", ENV{.VMODEM_IFNUM}=="03", ENV{ID_MM_PORT_TYPE_AT_PRIMARY}="1"
LABEL="vmodem_em7305_end"
EOF
  udevadm control --reload
}

# vm_junit_counts FILE TESTS FAILURES SKIPPED: the JUnit XML in FILE, read
# with Python's xml.etree by the schema's element names, has exactly that
# many testcases, failed ones and skipped ones (and says so in <testsuites
# tests=...>). Prints what it found.
vm_junit_counts() {
  python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
want = tuple(int(a) for a in sys.argv[2:5])
cases = root.findall("./testsuite/testcase")
failed = [c.get("name") for c in cases if c.find("failure") is not None]
skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
print("tests", len(cases), "failures", len(failed), "skipped", len(skipped), failed, skipped)
sys.exit(0 if (len(cases), len(failed), len(skipped)) == want and root.get("tests") == str(want[0]) else 1)
PY
}

# vm_count_events FILE EVENT: how many records of a JSON-lines events log
# (vmodem --events; FILE - for stdin) are that event. A missing or empty log,
# or a jq that is missing or cannot read it, prints nothing and fails, so
# `test "$(vm_count_events ...)" -eq 0` cannot pass without a log.
vm_count_events() {
  local log out
  if [ "$1" = - ]; then log="$(cat)"; else log="$(cat "$1" 2>/dev/null)"; fi
  [ -n "$log" ] || { echo "#   no events in $1" >&2; return 1; }
  out="$(jq -c --arg e "$2" 'select(.event == $e)' <<<"$log")" || return 1
  if [ -z "$out" ]; then echo 0; else printf '%s\n' "$out" | wc -l; fi
}

# vm_done: the closing line. Under scripts/vm/batch.sh (VM_COUNTS set) the
# counts go to that file and batch.sh prints the one summary for the run.
vm_done() {
  vm_stop_mm
  if [ -n "${VM_COUNTS:-}" ]; then
    echo "$VM_PASS $VM_FAIL $VM_SKIP" > "$VM_COUNTS"
    echo "# ${0##*/}: $VM_PASS passed, $VM_FAIL failed, $VM_SKIP skipped"
  else
    echo "vm: $VM_PASS passed, $VM_FAIL failed, $VM_SKIP skipped"
  fi
  [ "$VM_FAIL" -eq 0 ]
}
