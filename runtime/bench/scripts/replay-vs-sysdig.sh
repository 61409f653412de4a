#!/bin/bash
# `rulec run --replay CAPTURE --rules falco_rules.yaml` against `sysdig -r CAPTURE evt.num=0` (a
# filter that matches nothing), wall clock and CPU time by `perf stat -r 3 -e task-clock`, in
# alternating rounds (these machines are noisy: compare within a round). Each capture is read
# once first so that every command finds it in the page cache.
#
# usage: replay-vs-sysdig.sh ROUNDS CAPTURE...
#   BINS (default target/release/rulec) is a space-separated list of rulec binaries to compare;
#   RULES (default ../shared/conformance/falco/falco_rules.yaml) the rules. Run from the repo.
set -uo pipefail
R=${RULES:-../shared/conformance/falco/falco_rules.yaml}
N=$1; shift
stat() {
  perf stat -r 3 -e task-clock "$@" 2>&1 >/dev/null | grep -E "elapsed|task-clock" | awk '{printf "%s %s  ", $1, $2}'
  echo
}
for round in $(seq "$N"); do
  for F in "$@"; do
    cat "$F" > /dev/null
    for b in ${BINS:-target/release/rulec}; do
      printf "%-28s %-28s " "$(basename "$F")" "$b"; stat "$b" run --replay "$F" --rules "$R"
    done
    printf "%-28s %-28s " "$(basename "$F")" sysdig; stat sysdig -r "$F" evt.num=0
  done
done
