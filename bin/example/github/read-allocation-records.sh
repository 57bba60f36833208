#!/usr/bin/env bash
# Reads the live allocation record of each budget of a team's app built from a looked-up allocation
# (ConnectionBudget.fromAllocation) into DIR, and prints the connection-budget check arguments that pass
# them: `--allocation-record DIR/0.json ...`. The check then judges the team's worst case by what the
# owning app has deployed, not by the copy cdk.context.json cached.
# Usage: read-allocation-records.sh ASSEMBLY DIR
# Environment: AWS credentials and region (configure-aws-credentials sets them) of the account and region
# the team's stacks deploy to, where CDK looked the records up; they need ssm:GetParameter on the records.
# Exit code: 0; 1 when a record does not exist; 2 on a usage error; 3 when the assembly or a record could not be read.
set -uo pipefail
if [ "$#" -ne 2 ]; then
  echo "Usage: read-allocation-records.sh ASSEMBLY DIR (expected 2 arguments, got $#)" >&2
  exit 2
fi
assembly="$1"
dir="$2"
mkdir -p "$dir"
status=0
npx --no-install connection-budget report "$assembly" --format json > "$dir/report.json" || status=$?
# report exits 1 on a budget error, and still lists the budgets: the check that follows reports the error.
if [ "$status" -gt 1 ]; then exit 3; fi
# `parameter budgetPath owningBudgetPath allocation` per record to read: a looked-up allocation (attributes
# may come from anywhere) whose lookup ran (a pending one fails the check on its own) and whose owning budget
# is not in this app (then its ledger is joined as synthesized); one record per allocation.
node -e '
const { budgets } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const paths = new Set(budgets.map((budget) => budget.budgetPath));
const records = new Map();
for (const budget of budgets) {
  const allocation = budget.inputs && budget.inputs.allocation;
  if (!allocation || allocation.source !== "lookup" || allocation.pending || paths.has(allocation.budgetPath)) continue;
  if (!records.has(allocation.parameterName)) {
    records.set(allocation.parameterName, [allocation.parameterName, budget.budgetPath, allocation.budgetPath, allocation.name].join("\t"));
  }
}
for (const line of records.values()) console.log(line);
' "$dir/report.json" > "$dir/records.tsv" || exit 3
n=0
while IFS=$'\t' read -r parameter budget owner allocation; do
  if ! aws ssm get-parameter --name "$parameter" --query Parameter.Value --output text > "$dir/$n.json" 2> "$dir/get-parameter.err"; then
    if grep -q ParameterNotFound "$dir/get-parameter.err"; then
      echo "The allocation record $parameter does not exist in ${AWS_REGION:-the configured region}: the budget '$budget' is built from the allocation '$allocation' of '$owner', which the owning app does not publish there (never deployed, or the allocation was removed or renamed). Deploy the owning app with the allocation, or build the budget from one it grants." >&2
      exit 1
    fi
    cat "$dir/get-parameter.err" >&2
    exit 3
  fi
  printf -- '--allocation-record %s ' "$dir/$n.json"
  n=$((n + 1))
done < "$dir/records.tsv"
