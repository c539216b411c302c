#!/usr/bin/env bash
# Keeps a USB/IP device attached the way a bus keeps a module plugged in:
# vhci_hcd does not reconnect by itself, so after every firmware reset or
# personality switch (the server closes the import) this attaches the
# device again as soon as the server offers it (docs/usbip.md).
#
#   scripts/usbip-attach-loop.sh [-r HOST] [-p PORT] [-b BUSID]
#
# Needs root and vhci_hcd. Defaults: 127.0.0.1, 3240, 1-1. Prints one line
# per attach and per loss of the import ("12:00:01.250 attached 1-1
# 1199:9041", "12:00:09.031 gone 1-1"), so its output is the host's record
# of the device's comings and goings. Runs until killed; killing it leaves
# the current import in place (`usbip detach -p N` ends that).
set -u
host=127.0.0.1 port=3240 busid=1-1
while getopts r:p:b: opt; do
  case "$opt" in
    r) host="$OPTARG" ;;
    p) port="$OPTARG" ;;
    b) busid="$OPTARG" ;;
    *) echo "usage: $0 [-r HOST] [-p PORT] [-b BUSID]" >&2; exit 2 ;;
  esac
done

stamp() { date +%T.%3N; }
# 0: vhci_hcd lists the import; 1: it does not (never attached, or it has
# seen the connection close); 2: unknown: `usbip port` failed or could not
# name a port's remote end, as happens now and then while a device
# enumerates or goes away.
import_state() {
  local out
  out="$(usbip port 2>/dev/null)" || return 2
  grep -qF -- "-> usbip://$host:$port/$busid" <<<"$out" && return 0
  grep -q "unknown host" <<<"$out" && return 2
  initializing && return 0
  return 1
}
# 0: our import is on a vhci_hcd port still "initializing" (status 5):
# attached, but the hub has not addressed the device yet. `usbip port`
# leaves such ports out, and on a busy host the hub may first spend
# seconds tearing down the device that went before.
# A pipe, not process substitution: a minimal /dev has no /dev/fd.
initializing() {
  cat /sys/devices/platform/vhci_hcd.*/status* 2>/dev/null | {
    local hub p sta rest
    while read -r hub p sta rest; do
      [ "$sta" = 005 ] || continue
      grep -qxF "$host $port $busid" "/var/run/vhci_hcd/port$((10#$p))" 2>/dev/null && exit 0
    done
    exit 1
  }
}
# vendor:product the server offers as BUSID now; empty while it offers
# nothing (the firmware is booting).
offered() {
  usbip --tcp-port "$port" list -r "$host" 2>/dev/null |
    sed -n "s/^ *$busid: .*(\([0-9a-f]\{4\}:[0-9a-f]\{4\}\))\$/\1/p" | head -1
}

held=false # the import was listed at the last conclusive look
while :; do
  import_state
  case $? in
    0) held=true ;;
    1)
      if $held; then
        echo "$(stamp) gone $busid"
        held=false
      fi
      if id="$(offered)" && [ -n "$id" ] &&
        usbip --tcp-port "$port" attach -r "$host" -b "$busid" 2>/dev/null; then
        echo "$(stamp) attached $busid $id"
        held=true
      fi
      ;;
    *) ;; # a failed look proves nothing either way
  esac
  sleep 0.2
done
