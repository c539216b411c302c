#!/usr/bin/env bash
# ModemManager's Messaging, Location and Time interfaces and a bearer's
# statistics against vmodem, on whichever composition ModemManager drives
# (QMI or MBIM): sourced by mm-connect.test.sh and usbip-mbim.test.sh once
# ModemManager has a registered modem. Each check's name starts with
# $MM_TAG (qmi, mbim). Needs lib.sh, jq, and $MM_PROFILE (the profile
# vmodem runs).

# A value of the profile: mm_profile_value SECTION KEY (quotes removed).
mm_profile_value() {
  awk -v sec="[$1]" -v key="$2" '
    /^\[/ { in_sec = ($0 == sec) }
    in_sec && $1 == key && $2 == "=" { v = $3; gsub(/"/, "", v); print v; exit }' "$MM_PROFILE"
}

# jq -e without its output: a check's verdict only.
mm_jq() { jq -e "$@" >/dev/null; }

# The SMS path numbers in ModemManager's listing.
mm_sms_paths() { mmcli -m "$1" --messaging-list-sms 2>/dev/null | sed -n 's|.*/SMS/\([0-9]*\).*|\1|p'; }

# Messaging: a text sent with mmcli is decoded into vmodem's events log; a
# multipart UCS-2 text from `vmodem ctl sms` is listed within 5 s with
# exactly that text. mm_messaging_checks MODEM VMODEM CTL_SOCKET EVENTS
mm_messaging_checks() {
  local m=$1 bin=$2 sock=$3 events=$4 out s text long
  vm_check "$MM_TAG: Messaging interface" mmcli -m "$m" --messaging-status
  text="Hello from the host over $MM_TAG"
  out="$(mmcli -m "$m" --messaging-create-sms="text='$text',number='+15550123'" 2>&1 || true)"
  s="$(sed -n 's|.*/SMS/\([0-9]*\).*|\1|p' <<<"$out" | head -1)"
  vm_check "$MM_TAG: messaging-create-sms" test -n "$s"
  vm_check "$MM_TAG: send it" mmcli -s "${s:-0}" --send
  # One verdict over the whole log: jq 1.6's -e looks at the last input
  # only when a filter outputs nothing for it.
  sent() { jq -s -e --arg t "$text" 'any(.[]; .event == "sms-sent" and .text == $t)' "$events" >/dev/null 2>&1; }
  vm_check "$MM_TAG: the event log has the decoded text" vm_wait_for 5 sent
  long="Meet at the harbour café at eight 😀 and bring the charts, the spare battery and the $MM_TAG notebook"
  vm_check "$MM_TAG: vmodem ctl sms (UCS-2, two parts)" \
    "$bin" ctl --socket "$sock" sms --from +447700900123 --text "$long"
  has_long() {
    local p
    for p in $(mm_sms_paths "$m"); do
      mmcli -J -s "$p" 2>/dev/null | jq -e --arg t "$long" '.sms.content.text == $t' >/dev/null && return 0
    done
    return 1
  }
  vm_check "$MM_TAG: mmcli lists it within 5 s with exactly that text" vm_wait_for 5 has_long
}

# Location: the capabilities, then GPS on until ModemManager reports the
# profile's position, within the modelled time to first fix.
mm_location_checks() { # MODEM
  local m=$1 st c lat lon first ttff deadline t0
  st="$(mmcli -J -m "$m" --location-status 2>&1 || true)"
  printf '%s\n' "$st" >"$VM_RESULTS/mm-location-status-$MM_TAG.json"
  jq -c '.modem.location.capabilities' <<<"$st" 2>/dev/null | sed 's/^/#   capabilities: /'
  for c in gps-nmea gps-raw 3gpp-lac-ci; do
    vm_check "$MM_TAG: Location capability $c" mm_jq --arg c "$c" '
      .modem.location.capabilities
      | (if type == "array" then . else split(", ") end) | any(.[]; . == $c)' <<<"$st"
  done
  lat="$(mm_profile_value gps latitude)"
  lon="$(mm_profile_value gps longitude)"
  first="$(mm_profile_value gps first-start)"
  # model/gnss.rs's time to first fix, nominal + spread: hot 1.5 + 0.5 s,
  # warm 29 + 4 s, cold 32 + 4 s; a later session is hot (the last fix is
  # recent). Epochs fall on whole seconds (+1 s); ModemManager reads the
  # NMEA indications and mmcli starts a process per try under TCG, with
  # another boot beside it in CI (+12 s; 4 s over QMI and 8 s over MBIM
  # measured from the enable request to the fix).
  case "${first:-cold}" in
    hot) ttff=2 ;;
    warm) ttff=33 ;;
    *) ttff=36 ;;
  esac
  deadline=$((ttff + 1 + 12))
  t0=$SECONDS
  vm_check "$MM_TAG: location-enable-gps-nmea (and gps-raw)" \
    mmcli -m "$m" --location-enable-gps-nmea --location-enable-gps-raw
  fixed() {
    mmcli -J -m "$m" --location-get 2>/dev/null | jq -e --argjson lat "$lat" --argjson lon "$lon" '
      def abs: if . < 0 then -. else . end;
      .modem.location.gps as $g
      | ((($g.latitude | tonumber) - $lat) | abs) < 0.0001
        and ((($g.longitude | tonumber) - $lon) | abs) < 0.0001
        and ($g.nmea | tostring | test("GGA"))' >/dev/null 2>&1
  }
  if vm_wait_for "$deadline" fixed; then
    vm_ok "$MM_TAG: location-get shows the profile's position ($lat, $lon) within $deadline s ($first start)"
    echo "# bench: $MM_TAG: GPS fix seen by ModemManager after $((SECONDS - t0)) s"
  else
    vm_not_ok "$MM_TAG: location-get shows the profile's position ($lat, $lon) within $deadline s ($first start)"
  fi
  mmcli -J -m "$m" --location-get 2>&1 | jq -c '.modem.location.gps | del(.nmea)' 2>/dev/null | sed 's/^/#   /'
  vm_check "$MM_TAG: location-disable-gps-nmea (and gps-raw)" \
    mmcli -m "$m" --location-disable-gps-nmea --location-disable-gps-raw
}

# Time: the network time is the profile's [time] utc-at-start plus the
# seconds since vmodem started (T_START, epoch seconds), and its zone is
# the profile's. mm_time_check MODEM T_START
mm_time_check() {
  local m=$1 t_start=$2 start off out cur got t0 t1 lo hi
  start="$(date -u -d "$(mm_profile_value time utc-at-start)" +%s)"
  off="$(mm_profile_value time utc-offset-minutes)"
  t0="$(date +%s)"
  out="$(mmcli -J -m "$m" --time 2>&1 || true)"
  t1="$(date +%s)"
  printf '%s\n' "$out" >"$VM_RESULTS/mm-time-$MM_TAG.json"
  cur="$(jq -r '.modem.time.current // empty' <<<"$out" 2>/dev/null)"
  got="$(date -u -d "$cur" +%s 2>/dev/null || echo 0)"
  # The clock starts once the process runs: up to a few seconds after
  # T_START under TCG.
  lo=$((start + t0 - t_start - 10))
  hi=$((start + t1 - t_start + 1))
  vm_check "$MM_TAG: Time interface: mmcli --time shows the simulated network time ($cur)" \
    test "$got" -ge "$lo" -a "$got" -le "$hi"
  # ModemManager loads the zone on its own, polling every 5 s until it
  # has one (NETWORK_TIMEZONE_POLL_INTERVAL_SEC in mm-iface-modem-time.c);
  # on a loaded host it showed up to 12 s after this point.
  zone_is() { mmcli -J -m "$m" --time 2>/dev/null | jq -e --arg o "${off:-0}" '.modem.timezone.current == $o' >/dev/null; }
  vm_check "$MM_TAG: network timezone offset ${off:-0} min (within 20 s)" vm_wait_for 20 zone_is
}

# A connected bearer's statistics, which ModemManager reloads every 30 s
# (BEARER_STATS_UPDATE_TIMEOUT in mm-base-bearer.c) from the connection
# on: mm_bearer_stats_check BEARER MIN_BYTES UNTIL (the $SECONDS by
# which they must show MIN_BYTES each way).
mm_bearer_stats_check() {
  local b=$1 min=$2 until=$3 wait
  counted() {
    mmcli -J -b "$b" 2>/dev/null | jq -e --argjson n "$min" '
      .bearer.stats as $s
      | ($s["bytes-rx"] | tonumber) >= $n and ($s["bytes-tx"] | tonumber) >= $n' >/dev/null 2>&1
  }
  wait=$((until - SECONDS))
  [ "$wait" -gt 0 ] || wait=1
  vm_check "$MM_TAG: bearer statistics show the pings' bytes (>= $min each way)" vm_wait_for "$wait" counted
  mmcli -b "$b" 2>&1 | vm_plain | sed -n '/Statistics/,$p' | sed 's/^/#   /'
}
