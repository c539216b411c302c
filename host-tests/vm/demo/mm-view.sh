#!/usr/bin/env bash
# Records ModemManager's view of the modem: every 0.5 s asks `mmcli -m any
# -K` and, when the summary changed, appends `<wall-ms> <summary>` to FILE
# (the format `vmodem timeline --mm` reads; docs/demo.md). Runs until
# killed.
#
#   host-tests/vm/demo/mm-view.sh FILE
set -u
out="$1"
echo "# ModemManager's view: <unix ms> <summary of mmcli -m any -K>" >"$out"

summary() {
  local kv
  kv="$(mmcli -m any -K 2>/dev/null)" || { echo "no modem"; return; }
  awk '
    { key = $1; val = $0; sub(/^[^:]*: /, "", val); gsub(/^ +| +$/, "", val) }
    key == "modem.dbus-path" { n = val; sub(/.*\//, "", n) }
    key == "modem.generic.state" { st = val }
    key == "modem.generic.state-failed-reason" && val != "--" { fr = val }
    key == "modem.generic.unlock-required" && val != "--" && val != "sim-pin2" { lock = val }
    key ~ /^modem\.generic\.access-technologies\.value/ && val != "--" { at = at (at ? "/" : "") toupper(val) }
    key == "modem.3gpp.registration-state" && val != "--" { reg = val }
    key == "modem.3gpp.operator-name" && val != "--" { op = val }
    END {
      s = "modem " n ": " st
      if (fr) s = s " (" fr ")"
      if (lock && lock != "none") s = s ", needs " lock
      if (reg) s = s ", registration " reg
      if (op) s = s " on " op
      if (at) s = s ", " at
      print s
    }' <<<"$kv"
}

last=""
while :; do
  s="$(summary)"
  if [ "$s" != "$last" ]; then
    echo "$(date +%s%3N) $s" >>"$out"
    last="$s"
  fi
  sleep 0.5
done
