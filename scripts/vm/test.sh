#!/usr/bin/env bash
# The VM tier: installs what it needs (scripts/vm/setup.sh), boots one VM and
# runs host-tests/vm/smoke.sh and every host-tests/vm/*.test.sh in it (the
# soak in a second VM beside it), then
# prints a table of each file's seconds and counts, the tier's total time,
# and "vm: N passed, M failed, K skipped" as its last line. Exit non-zero on
# any failure, a panic or a timeout.
#
# It builds nothing: a test that needs vmodem runs target/release/vmodem,
# which the caller builds first (cargo build --release). The guest sees the
# host's whole tree, target/ included, read-only over 9p.
#
#   scripts/vm/test.sh                 # everything: two boots side by side
#   scripts/vm/test.sh FILE...         # just these files (the soak, if among
#                                      # them, in its own boot beside)
#   scripts/vm/test.sh --start-solo    # start the soak's boot in the
#                                      # background and return; the next
#                                      # plain run waits for it and counts it
#   scripts/vm/test.sh --stop-solo     # stop such a boot
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

start_solo_only=0
case "${1:-}" in
  --start-solo) start_solo_only=1; shift ;;
  --stop-solo)
    # Stops a boot --start-solo left running: its process group, and qemu,
    # which timeout(1) put in a group of its own.
    pgid_file="$root/target/vm/solo.pgid"
    if [ -s "$pgid_file" ]; then
      kill -- "-$(cat "$pgid_file")" 2>/dev/null || true
      pkill -f -- "path=$root/target/vm/results-solo," 2>/dev/null || true
      rm -f "$pgid_file"
    fi
    exit 0 ;;
esac

scripts/vm/setup.sh
results="$root/target/vm/results"
export VM_RESULTS="$results"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(host-tests/vm/smoke.sh)
  for f in host-tests/vm/*.test.sh; do [ -e "$f" ] && files+=("$f"); done
fi

# Few boots, many files each: a boot costs 5-8 s and batch.sh resets the
# shared state (ModemManager, usbipd, gadgets) between files.
# VM_BOOT_PER_FILE=1 boots once per file, one after the other, for full
# isolation when debugging. The soak gets a boot of its own that runs
# beside the others (VM_PARALLEL=0 runs it in line): most of its 20 minutes
# is ModemManager's fixed probing timers, not CPU, so side by side the tier
# takes about as long as the soak.
groups=()
solo=()
if [ "${VM_BOOT_PER_FILE:-0}" = 1 ]; then
  groups=("${files[@]}")
else
  rest=()
  # After the soak, the same boot runs qmicli-gadget, the most CPU-bound
  # file (qmicli under TCG, with its own timeouts): by then the other boot
  # has finished, so it runs alone instead of beside the soak.
  after=()
  for f in "${files[@]}"; do
    case "${f##*/}" in
      soak.test.sh) solo=("$f") ;;
      qmicli-gadget.test.sh) after+=("$f") ;;
      *) rest+=("$f") ;;
    esac
  done
  if [ "${VM_PARALLEL:-1}" = 0 ] || [ ${#solo[@]} -eq 0 ] || [ ${#files[@]} -eq 1 ]; then
    rest=("${files[@]}")
    solo=()
  else
    solo+=(${after[@]+"${after[@]}"})
  fi
  # The other files share VM_MAIN_BOOTS boots (default 2) side by side,
  # balanced by each file's usual seconds (measured; 60 for a file not
  # listed), longest first onto the least loaded boot. Most of their time
  # is ModemManager's and NetworkManager's timers, not CPU.
  if [ ${#rest[@]} -gt 0 ]; then
    declare -A usual=([suite-nm.test.sh]=313 [mm-connect.test.sh]=220
      [faults-mm.test.sh]=204 [usbip-mbim.test.sh]=180 [usbip-faults.test.sh]=169
      [faults-failsafe.test.sh]=154 [suite-ofono.test.sh]=117
      [throughput.test.sh]=100 [suite-mm.test.sh]=61 [usbip.test.sh]=38
      [dhcp-hosts.test.sh]=33 [smoke.sh]=33 [bootloader.test.sh]=27
      [gadget.test.sh]=24 [gadgetfs.test.sh]=50 [ffs-startup.test.sh]=45 [uplink.test.sh]=21
      [host-kills.test.sh]=13 [usbip-loopback.test.sh]=11)
    n="${VM_MAIN_BOOTS:-2}"
    [ "$n" -ge 1 ] || n=1
    [ "$n" -le ${#rest[@]} ] || n=${#rest[@]}
    loads=()
    for ((i = 0; i < n; i++)); do groups[i]=""; loads[i]=0; done
    while read -r _ f; do
      b=0
      for ((i = 1; i < n; i++)); do [ "${loads[i]}" -lt "${loads[b]}" ] && b=$i; done
      groups[b]="${groups[b]:+${groups[b]} }$f"
      loads[b]=$((loads[b] + ${usual[${f##*/}]:-60}))
    done < <(for f in "${rest[@]}"; do echo "${usual[${f##*/}]:-60} $f"; done | sort -k1,1nr -k2,2)
  fi
fi

# The boot's hard cap, a guard against a hung VM: the 2400 s the tier had
# before the soak, plus the soak's own budget (soak.test.sh, 1800 s).
timeout_s="${VM_TIMEOUT:-4200}"

start=$SECONDS
pass=0 fail=0 skip=0
table=()
# Adds one boot's counts and timing rows; $1 is its exit status, $2 its
# results folder, $3 what it ran.
tally() {
  local rc="$1" dir="$2" what="$3" p=0 m=0 s=0
  [ -s "$dir/summary" ] && read -r p m s < "$dir/summary"
  [ -s "$dir/files" ] && mapfile -t -O "${#table[@]}" table < "$dir/files"
  if [ "$rc" -ne 0 ] && [ "$m" -eq 0 ]; then
    # The VM died, timed out or batch.sh failed without a counted failure.
    echo "not ok - VM run of $what (exit $rc; see $dir/console.log)"
    m=1
  fi
  pass=$((pass + p))
  fail=$((fail + m))
  skip=$((skip + ${s:-0}))
  echo "# boot ($what): $(cat "$dir/timing" 2>/dev/null || echo "no timing")"
}

solo_dir="$root/target/vm/results-solo"
solo_log="$root/target/vm/solo.log"
# A boot started by --start-solo: its process group and, once it ends,
# its exit status.
solo_pgid_file="$root/target/vm/solo.pgid"
solo_rc_file="$root/target/vm/solo.rc"
start_solo() {
  rm -f "$solo_rc_file" "$solo_pgid_file"
  echo "# ${solo[*]} runs in a boot of its own beside the others (output: target/vm/solo.log, printed at the end)"
  # setsid: a process group of its own, so a caller that gives up can stop
  # the boot and everything under it (kill -- -PGID).
  VM_RESULTS="$solo_dir" setsid bash -c '
    echo $$ > "$1"; shift
    rc_file="$1"; log="$2"; shift 2
    rc=0
    "$@" > "$log" 2>&1 || rc=$?
    echo "$rc" > "$rc_file"' \
    solo "$solo_pgid_file" "$solo_rc_file" "$solo_log" \
    scripts/vm/run.sh --timeout "$timeout_s" scripts/vm/batch.sh "${solo[@]}" &
  for _ in $(seq 50); do [ -s "$solo_pgid_file" ] && break; sleep 0.1; done
}
if [ "$start_solo_only" = 1 ]; then
  [ ${#solo[@]} -gt 0 ] || { echo "vm: no soak among the files: nothing to start" >&2; exit 2; }
  start_solo
  exit 0
fi
solo_started=0
if [ ${#solo[@]} -gt 0 ]; then
  if [ -s "$solo_pgid_file" ] && { [ -e "$solo_rc_file" ] || kill -0 -- "-$(cat "$solo_pgid_file")" 2>/dev/null; }; then
    echo "# ${solo[*]}: the boot started earlier (--start-solo) is counted here"
  else
    start_solo
  fi
  solo_started=1
fi
# Each boot its own results folder: the first target/vm/results, the
# others results-2, results-3...; each its output in target/vm/boot-N.log,
# printed when all have ended (the first streams live).
pids=()
for ((i = 0; i < ${#groups[@]}; i++)); do
  dir="$results"
  [ "$i" -eq 0 ] || dir="$root/target/vm/results-$((i + 1))"
  # shellcheck disable=SC2086 # a group is a space-separated file list
  if [ "$i" -eq 0 ]; then
    ( rc=0; VM_RESULTS="$dir" scripts/vm/run.sh --timeout "$timeout_s" scripts/vm/batch.sh ${groups[i]} || rc=$?
      echo "$rc" > "$root/target/vm/boot-1.rc" ) &
  else
    ( rc=0; VM_RESULTS="$dir" scripts/vm/run.sh --timeout "$timeout_s" scripts/vm/batch.sh ${groups[i]} \
        > "$root/target/vm/boot-$((i + 1)).log" 2>&1 || rc=$?
      echo "$rc" > "$root/target/vm/boot-$((i + 1)).rc" ) &
  fi
  pids+=($!)
  # One boot per file is for debugging: one after the other.
  [ "${VM_BOOT_PER_FILE:-0}" = 1 ] && { wait "${pids[i]}" || true; }
done
for ((i = 0; i < ${#groups[@]}; i++)); do
  wait "${pids[i]}" || true
  dir="$results"
  if [ "$i" -gt 0 ]; then
    dir="$root/target/vm/results-$((i + 1))"
    cat "$root/target/vm/boot-$((i + 1)).log"
  fi
  rc="$(cat "$root/target/vm/boot-$((i + 1)).rc" 2>/dev/null || echo 125)"
  rm -f "$root/target/vm/boot-$((i + 1)).rc"
  tally "$rc" "$dir" "${groups[i]}"
done
if [ "$solo_started" = 1 ]; then
  while [ ! -e "$solo_rc_file" ] && kill -0 -- "-$(cat "$solo_pgid_file")" 2>/dev/null; do
    sleep 2
  done
  rc="$(cat "$solo_rc_file" 2>/dev/null || echo 125)"
  rm -f "$solo_pgid_file" "$solo_rc_file"
  cat "$solo_log"
  tally "$rc" "$solo_dir" "${solo[*]}"
fi
# The budget in view: every file's time, slowest first.
echo "# file  seconds  passed failed skipped"
[ ${#table[@]} -eq 0 ] || printf '%s\n' "${table[@]}" | sort -k2,2nr |
  awk '{ printf "# %-28s %5d  %4d %4d %4d\n", $1, $2, $3, $4, $5 }'
echo "# vm tier: $((SECONDS - start)) s for ${#files[@]} files in $((${#groups[@]} + (${#solo[@]} > 0))) boot(s)"
echo "vm: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
