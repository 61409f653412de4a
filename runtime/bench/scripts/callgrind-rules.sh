#!/bin/bash
# Instructions per event of `rulec bench --rules`' timed passes, counted by callgrind (steady on a
# noisy machine, where wall clock is not): runs one measurement child with 2 and with 4 timed
# passes and divides the difference by the events of two passes, so start-up, generation and the
# untimed settling pass cancel out. Also prints the figure without the JIT (re)compiles that may
# land in a timed pass (Engine::rebuild_jit, inclusive).
#
# usage: callgrind-rules.sh BIN RULES KIND [TAG]
#   BIN   a rulec binary (target/release/rulec)
#   RULES a rules file (../shared/conformance/falco/falco_rules.yaml)
#   KIND  interp | jit | subset-interp | subset-jit | handwritten
#   TAG   names the callgrind files left in $OUT (default /tmp/rulec-callgrind)
# EVENTS (default 20000) sets the generated events.
set -euo pipefail
BIN=$1; R=$2; K=$3; T=${4:-x}; N=${EVENTS:-20000}; OUT=${OUT:-/tmp/rulec-callgrind}
mkdir -p "$OUT"
TOG='*Engine*process*'; [ "$K" = handwritten ] && TOG='*handwritten*matches*'
for rep in 2 4; do
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$T-$K-$rep.cg" --toggle-collect="$TOG" \
    "$BIN" bench --rules "$R" --events "$N" --repeat $rep --child "$K" >/dev/null 2>"$OUT/$T-$K-$rep.err"
done
python3 - "$OUT/$T-$K" "$K" "$T" "$N" <<'PY'
import re, subprocess, sys
base, kind, tag, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def totals(f):
    out = subprocess.run(['callgrind_annotate', '--auto=no', '--inclusive=yes', '--threshold=100', f],
                         capture_output=True, text=True).stdout
    total = rebuild = 0
    for line in out.splitlines():
        m = re.match(r'\s*([\d,]+) ', line)
        if not m:
            continue
        v = int(m.group(1).replace(',', ''))
        if 'PROGRAM TOTALS' in line:
            total = v
        elif re.search(r'rebuild_jit \[', line):
            rebuild = max(rebuild, v)
    return total, rebuild
t2, r2 = totals(base + '-2.cg')
t4, r4 = totals(base + '-4.cg')
print(f"{kind} {tag}: {(t4 - t2) / 2 / n:.1f} instr/event; without JIT compiles {((t4 - r4) - (t2 - r2)) / 2 / n:.1f}")
PY
