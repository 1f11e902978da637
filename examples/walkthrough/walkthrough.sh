#!/usr/bin/env bash
# The five-minute walkthrough (docs/walkthrough.md; the README runs this script), end to end, on a local AWS endpoint
# (moto): seed resources, scan, drift, remediate (dry run, then --apply),
# the HTML report, one scheduled run (`schedule --once`), and remediation
# actions: a public bucket and an open security group fixed and verified.
#
#   examples/walkthrough/walkthrough.sh [WORKDIR]
#
# Environment:
#   PALISADE          the palisade binary (default: cargo build, then target/debug/palisade)
#   AWS_ENDPOINT_URL  a running moto server (default: start one from the moto venv of
#                     scripts/install-toolchains.sh moto, on a free port, stopped at exit)
#   PALISADE_TOOLCHAINS  where install-toolchains.sh put moto (default: target/toolchains)
#   PALISADE_MOTO_PYTHON the moto venv's python (default: $PALISADE_TOOLCHAINS/moto-venv/bin/python)
# WORKDIR (default: a new temporary directory) receives the snapshot, the plan
# and the reports. Exit 0 when every step gave the exit code it should.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-$(mktemp -d -t palisade-walkthrough.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
toolchains=${PALISADE_TOOLCHAINS:-$root/target/toolchains}
python=${PALISADE_MOTO_PYTHON:-$toolchains/moto-venv/bin/python}

if [ -z "${PALISADE:-}" ]; then
  (cd "$root" && cargo build -q)
  PALISADE="$root/target/debug/palisade"
fi
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-west-1
# Never read the user's own AWS files.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  [ -x "$python" ] || { echo "walkthrough: moto is not installed; run: scripts/install-toolchains.sh moto" >&2; exit 2; }
  port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$(dirname "$python")/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  trap 'kill $moto_pid 2>/dev/null || true' EXIT
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    "$python" -c "import urllib.request; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/')" 2>/dev/null && break
    sleep 0.2
  done
fi
endpoint=$AWS_ENDPOINT_URL

# step EXPECTED_CODES COMMAND...: show and run COMMAND; fail unless it exits with one of EXPECTED_CODES.
step() {
  local expected=$1 code=0
  shift
  printf '\n$ %s\n' "$*"
  "$@" || code=$?
  case " $expected " in
    *" $code "*) echo "(exit $code)" ;;
    *) echo "walkthrough: '$*' exited $code, expected one of: $expected" >&2; exit 1 ;;
  esac
}

echo "== 1. seed resources that carry some tags but lack required ones"
step 0 "$python" "$here/seed.py"

echo "== 2. scan: live inventory into a snapshot"
step 0 "$PALISADE" scan --region eu-west-1 --endpoint-url "$endpoint" --output "$work/inventory.json"

echo "== 3. drift: the Terraform state against the cloud (1: drift found)"
step 1 "$PALISADE" drift --state "$here/terraform.tfstate" --inventory "$work/inventory.json"

echo "== 4a. remediate, dry run: the exact plan of tag changes (1: violations remain)"
step 1 "$PALISADE" remediate --inventory "$work/inventory.json" --endpoint-url "$endpoint" \
  --config "$here/palisade-config.yaml" --plan-out "$work/plan.json" --report-dir "$work/reports/dry-run"

echo "== 4b. remediate --apply: that plan, executed (1: moto refuses to tag the SQS queue)"
step 1 "$PALISADE" remediate --plan-in "$work/plan.json" --apply --endpoint-url "$endpoint" \
  --report-dir "$work/reports/apply"

echo "== 4c. a re-run finds nothing left to do but the queue (idempotent)"
step 1 "$PALISADE" remediate --region eu-west-1 --endpoint-url "$endpoint" --config "$here/palisade-config.yaml" \
  --apply --report-dir "$work/reports/rerun"

echo "== 5. the HTML report (open it in a browser)"
echo "$work/reports/apply/remediation.html"
test -s "$work/reports/apply/remediation.html"

echo "== 6. one scheduled run of every job (schedule --once; 1: the queue still lacks its tags)"
# A copy beside the other outputs, so that the run folders land in WORKDIR.
cp "$here/palisade.toml" "$here/palisade-config.yaml" "$here/terraform.tfstate" "$work/"
step 1 "$PALISADE" schedule --config "$work/palisade.toml" --once
ls -l "$work/scheduled-reports/walkthrough/"
test -L "$work/scheduled-reports/walkthrough/latest"

echo "== 7a. a public bucket and a security group open to the world: the actions that fix them, as a plan"
step 0 "$python" "$here/seed.py" actions
actions=(--enforcement aws-s3-bucket-disallow-public-read=remediate
  --enforcement aws-ec2-securitygroup-disallow-public-internet-ingress=remediate
  --enforcement aws-ec2-securitygroup-disallow-inbound-http-traffic=remediate)
step 1 "$PALISADE" remediate --region eu-west-1 --endpoint-url "$endpoint" --resource-type s3 \
  --resource-type ec2:security-group "${actions[@]}" --plan-out "$work/actions-plan.json" \
  --report-dir "$work/reports/actions-dry-run"

echo "== 7b. apply the two kinds, allowed by name; each resource read again and judged again (0: fixed, verified)"
step 0 "$PALISADE" remediate --plan-in "$work/actions-plan.json" --apply --endpoint-url "$endpoint" \
  --allow-action s3.block-public-access --allow-action ec2.revoke-ingress --report-dir "$work/reports/actions-apply"

echo "== 7c. the same plan again: both done already, nothing sent (0)"
step 0 "$PALISADE" remediate --plan-in "$work/actions-plan.json" --apply --endpoint-url "$endpoint" \
  --allow-action all --report-dir "$work/reports/actions-again"

echo
echo "walkthrough: done; everything is in $work"
