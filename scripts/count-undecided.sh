#!/usr/bin/env bash
# Counts the undecided results of the built-in pack per policy over every
# input of a corpus folder (default tests/data/corpus), with the decided
# violations beside them. Usage:
#   scripts/count-undecided.sh [PALISADE_BINARY] [CORPUS_DIR]
# Prints a TSV: policy, undecided, decided violations; then the totals.
# Inputs that do not load are listed on standard error.
set -euo pipefail
bin=${1:-target/release/palisade}
corpus=${2:-tests/data/corpus}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  if ! "$bin" check --format json --output "$tmp/$n.json" "$f" 2>"$tmp/$n.err"; then
    [ -s "$tmp/$n.json" ] || { echo "not loaded: $f: $(head -c 300 "$tmp/$n.err")" >&2; rm -f "$tmp/$n.json"; }
  fi
done < <(find "$corpus" -type f \( -name '*.json' -o -name '*.jsonl' \) -print0 | sort -z)
python3 - "$tmp" <<'PY'
import json, pathlib, sys, collections
und, dec = collections.Counter(), collections.Counter()
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    report = json.loads(p.read_text())
    for v in report.get("violations", []) + report.get("baselined", []):
        (und if v.get("undecided") else dec)[v["policy"]] += 1
print("policy\tundecided\tdecided")
for policy in sorted(set(und) | set(dec)):
    print(f"{policy}\t{und[policy]}\t{dec[policy]}")
print(f"total\t{sum(und.values())}\t{sum(dec.values())}")
PY
