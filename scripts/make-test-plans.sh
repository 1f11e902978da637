#!/usr/bin/env bash
# Regenerates the real Terraform plans of tests/data/terraform/<case>/plan.json
# from each folder's main.tf (and modules), with `terraform plan` and
# `terraform show -json`. Offline: the AWS provider comes from a filesystem
# mirror (PLUGIN_DIR, default /opt/tf-plugins, laid out as
# registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/), the provider
# block of provider.tf.inc skips every credential and API check, and plans
# are made with -refresh=false. Made with Terraform 1.11.4 and AWS provider
# 5.100.0; CI does not run this (the plans are committed).
# Usage: scripts/make-test-plans.sh [CASE ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
plugins=${PLUGIN_DIR:-/opt/tf-plugins}
cd "$root/tests/data/terraform"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || mapfile -t cases < <(find . -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
for case in "${cases[@]}"; do
  work=$(mktemp -d)
  cp -r "$case/." "$work/"
  rm -f "$work/plan.json"
  [ -e "$work/provider.tf" ] || cp provider.tf.inc "$work/provider.tf"
  (
    cd "$work"
    export TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE=/dev/null
    terraform init -input=false -plugin-dir="$plugins" >/dev/null
    terraform plan -input=false -refresh=false -lock=false -out=plan.bin >/dev/null
    terraform show -json plan.bin | python3 -m json.tool --indent 1 > plan.json
  )
  mv "$work/plan.json" "$case/plan.json.tmp" && mv "$case/plan.json.tmp" "$case/plan.json"
  rm -rf "$work"
  echo "$case/plan.json"
  if [ "$case" = unset-vs-unknown ]; then
    # The same plan as older tools print it: no `configuration` section.
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d.pop("configuration"); print(json.dumps(d, indent=1))' \
      "$case/plan.json" > "$case/plan-without-configuration.json"
    echo "$case/plan-without-configuration.json"
  fi
done
