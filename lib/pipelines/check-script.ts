import { LEDGER_METADATA_KEY_PREFIX } from '../budget/ledger-lines';
import { RECORD_METADATA_KEY, RECORD_SCHEMA } from '../budget/ledger-record';

/**
 * The bootstrap version from which a stack's lookup role may read its deployed template. Version 8 gave the lookup role
 * the AWS managed ReadOnlyAccess policy, with kms:Decrypt denied (Sid DontReadSecrets); before, it could make only the
 * context lookups (EC2, ELB, Route 53 and SSM reads). The CDK CLI reads deployed templates with it too (`cdk diff`; the
 * DefaultStackSynthesizer's useLookupRoleForStackOperations, "Requires bootstrap stack version 8"). Its trust policy has
 * trusted the accounts given to `cdk bootstrap --trust` since it appeared (version 6), as well as those given to
 * `--trust-for-lookup`, so a pipeline account trusted to deploy may assume it.
 * Sources: aws/aws-cdk-cli packages/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml (LookupRole); the CDK guide's
 * "Bootstrap template version history" (8: "The lookup role has full read-only permissions to the target environment").
 * The synthesizer writes the figure into the manifest as `lookupRole.requiresBootstrapStackVersion`: 22 instead only when
 * `lookupRoleAdditionalOptions` asks for session tags, which the check does not pass.
 */
const LOOKUP_ROLE_BOOTSTRAP_VERSION = 8;

/**
 * The shell the budget check runs in CodeBuild, as one buildspec command (buildspec 0.2 keeps one shell
 * across a phase, so what it exports reaches `exported-variables`). Pure text: tests run it locally with
 * stand-ins for the AWS CLI.
 *
 * It expects, from the action:
 * - `STAGE_DIR`: the stage's assembly directory inside the cloud assembly artifact, whose manifest
 *   names each stack, its environment and its lookup role (an action's configuration values are
 *   limited to 1,000 characters, too few to list the stacks there);
 * - `GUARDRAILS`: extra `connection-budget check` options;
 * - `STAGE_NAME`, `ACTION_NAME`: the approval action to approve when nothing changed;
 * - `APPROVER`: the function that approves it;
 * - `NOTIFICATION_ARN`, `NOTIFICATION_SUBJECT` (optional): an SNS topic to tell when approval is needed.
 * It exports `LINK` (this build's log) and `MESSAGE` (the diff's summary, whose names the CLI escapes as the text
 * output does: the approver reads it in the console and in the notification) for the approval action.
 */
/* eslint-disable no-template-curly-in-string -- bash parameter expansions (${VAR#prefix}, ${ARRAY[@]}) in the script's lines */
export const CHECK_SCRIPT = [
  'set -u',
  'export PIPELINE_NAME="${CODEBUILD_INITIATOR#codepipeline/}"',
  // arn:aws:codebuild:REGION:ACCOUNT:build/PROJECT:BUILD_ID
  'IFS=: read -r _ _ _ REGION ACCOUNT_ID BUILD_PROJECT BUILD_ID <<< "$CODEBUILD_BUILD_ARN"',
  'PROJECT_NAME="${BUILD_PROJECT#build/}"',
  'export LINK="https://$REGION.console.aws.amazon.com/codesuite/codebuild/$ACCOUNT_ID/projects/$PROJECT_NAME/build/$PROJECT_NAME:$BUILD_ID/?region=$REGION"',
  'export PIPELINE_LINK="https://$REGION.console.aws.amazon.com/codesuite/codepipeline/pipelines/$PIPELINE_NAME/view?region=$REGION"',
  // What the stage's manifest and templates say, as tab-separated lines: stacks.tsv, `stackName region lookupRoleArn`
  // per stack; records.tsv, `parameter region lookupRoleArn budgetPath owningBudgetPath allocation` per allocation
  // record to read. Role placeholders are filled with this build's partition and account. Everything is read with
  // lookup roles, which are read-only: a deploy role may pass the CloudFormation execution role, effectively admin.
  "cat > stage.js <<'JS'",
  'const fs = require("fs");',
  'const path = require("path");',
  'const stageDir = process.env.STAGE_DIR;',
  'const manifest = JSON.parse(fs.readFileSync(path.join(stageDir, "manifest.json"), "utf8"));',
  'const [, partition, , buildRegion, buildAccount] = process.env.CODEBUILD_BUILD_ARN.split(":");',
  'const stacks = [];',
  'for (const [id, artifact] of Object.entries(manifest.artifacts || {})) {',
  '  if (artifact.type !== "aws:cloudformation:stack") continue;',
  '  const [, account, region] = /^aws:\\/\\/([^/]+)\\/(.+)$/.exec(artifact.environment);',
  '  const accountId = account === "unknown-account" ? buildAccount : account;',
  '  const regionName = region === "unknown-region" ? buildRegion : region;',
  '  const fill = (arn) => arn.replace(/\\$\\{AWS::Partition\\}/g, partition)',
  '    .replace(/\\$\\{AWS::AccountId\\}/g, accountId).replace(/\\$\\{AWS::Region\\}/g, regionName);',
  '  const name = artifact.properties.stackName || id;',
  '  if (!artifact.properties.lookupRole) {',
  '    console.error("Stack " + name + " names no lookup role; the check reads deployed templates only with a stack\'s read-only "',
  '      + "lookup role, never its deploy role. Synthesize it with the DefaultStackSynthesizer (useLookupRoleForStackOperations not false).");',
  '    process.exit(3);',
  '  }',
  '  const template = JSON.parse(fs.readFileSync(path.join(stageDir, artifact.properties.templateFile), "utf8"));',
  '  const metadata = template.Metadata || {};',
  // A budget's record (on its Record resource) holds its inputs as a ledger did; templates of earlier versions hold ledgers.
  '  const records = Object.values(template.Resources || {}).map((resource) => (resource && resource.Metadata || {})["' + RECORD_METADATA_KEY + '"])',
  `    .filter((record) => record && record.schema === "${RECORD_SCHEMA}" && !record.budgets);`,
  '  stacks.push({',
  '    name, region: regionName, lookupRole: fill(artifact.properties.lookupRole.arn),',
  `    ledgers: Object.keys(metadata).filter((key) => key.startsWith("${LEDGER_METADATA_KEY_PREFIX}")).map((key) => metadata[key]).concat(records),`,
  '  });',
  '}',
  'const budgetPaths = new Set(stacks.flatMap((stack) => stack.ledgers.map((ledger) => ledger.budgetPath)));',
  'const records = new Map();',
  'for (const stack of stacks) {',
  '  for (const ledger of stack.ledgers) {',
  '    const allocation = ledger.inputs && ledger.inputs.allocation;',
  // Only a looked-up record lives where the stack deploys (attributes may come from anywhere); a pending lookup fails
  // check on its own; an owning budget in this stage is joined as synthesized; one record per allocation.
  '    if (!allocation || allocation.source !== "lookup" || allocation.pending || budgetPaths.has(allocation.budgetPath)',
  '      || records.has(allocation.parameterName)) continue;',
  '    records.set(allocation.parameterName, [allocation.parameterName, stack.region, stack.lookupRole, ledger.budgetPath,',
  '      allocation.budgetPath, allocation.name].join("\\t"));',
  '  }',
  '}',
  'fs.writeFileSync("stacks.tsv", stacks.map((stack) => [stack.name, stack.region, stack.lookupRole].join("\\t") + "\\n").join(""));',
  'fs.writeFileSync("records.tsv", [...records.values()].map((line) => line + "\\n").join(""));',
  'JS',
  'node stage.js || exit 3',
  // Sets ROLE_ENV to a lookup role's credentials, for `env "${ROLE_ENV[@]}" aws ...`: each stack's role lives in its own account.
  'assume_role() {',
  '  local credentials',
  '  if ! credentials="$(aws sts assume-role --role-arn "$1" --role-session-name connection-budget-check --query Credentials --output json)"; then',
  `    echo "Cannot assume the lookup role $1. Bootstrap its environment (cdk bootstrap, version ${LOOKUP_ROLE_BOOTSTRAP_VERSION} or later) trusting this pipeline's account $ACCOUNT_ID: --trust or --trust-for-lookup." >&2`,
  '    exit 3',
  '  fi',
  '  ROLE_ENV=("AWS_ACCESS_KEY_ID=$(node -pe \'JSON.parse(process.argv[1]).AccessKeyId\' "$credentials")"',
  '    "AWS_SECRET_ACCESS_KEY=$(node -pe \'JSON.parse(process.argv[1]).SecretAccessKey\' "$credentials")"',
  '    "AWS_SESSION_TOKEN=$(node -pe \'JSON.parse(process.argv[1]).SessionToken\' "$credentials")")',
  '}',
  // The deployed templates, read with each stack's lookup role; a stack not deployed yet is an empty template.
  'mkdir -p deployed',
  "while IFS=$'\\t' read -r stack region role; do",
  '  assume_role "$role"',
  '  if ! env "${ROLE_ENV[@]}" aws cloudformation get-template --stack-name "$stack" --region "$region" --output json > "deployed/$stack.json" 2> get-template.err; then',
  '    if grep -q "does not exist" get-template.err; then echo "$stack is not deployed yet"; echo \'{"Resources":{}}\' > "deployed/$stack.json";',
  '    else',
  '      cat get-template.err',
  `      echo "Cannot read the deployed template of $stack with its lookup role $role: bootstrap its environment with cdk bootstrap, version ${LOOKUP_ROLE_BOOTSTRAP_VERSION} or later, whose lookup role may read every template." >&2`,
  '      exit 3',
  '    fi',
  '  fi',
  'done < stacks.tsv',
  // A team's budget (ConnectionBudget.fromAllocation) is judged by the allocation the owning app has deployed, not the copy
  // cdk.context.json cached: its live record, read where CDK looked it up (the budget's stack's account and region) with
  // the stack's lookup role.
  'mkdir -p records',
  'ALLOCATION_RECORDS=""',
  'n=0',
  "while IFS=$'\\t' read -r parameter region role budget owner allocation; do",
  '  assume_role "$role"',
  '  if ! env "${ROLE_ENV[@]}" aws ssm get-parameter --name "$parameter" --query Parameter.Value --output text --region "$region" > "records/$n.json" 2> get-parameter.err; then',
  '    if grep -q ParameterNotFound get-parameter.err; then',
  '      echo "The allocation record $parameter does not exist in $region: the budget \'$budget\' is built from the allocation \'$allocation\' of \'$owner\', which the owning app does not publish there (never deployed, or the allocation was removed or renamed). Deploy the owning app with the allocation, or build the budget from one it grants."',
  '      exit 1',
  '    fi',
  '    cat get-parameter.err; exit 3',
  '  fi',
  '  ALLOCATION_RECORDS="$ALLOCATION_RECORDS --allocation-record records/$n.json"',
  '  n=$((n + 1))',
  'done < records.tsv',
  // Guardrails and violations fail the action, and so the pipeline, before the stage deploys.
  'status=0',
  'connection-budget check "$STAGE_DIR" --base deployed $GUARDRAILS $ALLOCATION_RECORDS --format markdown > connection-budget.md || status=$?',
  'cat connection-budget.md',
  'if [ "$status" -ne 0 ]; then echo "connection-budget check failed with exit code $status; see the report above."; exit "$status"; fi',
  'changed=0',
  'connection-budget diff --base deployed --head "$STAGE_DIR" --fail-on-change > /dev/null || changed=$?',
  'if [ "$changed" -eq 0 ]; then',
  '  export MESSAGE="No connection budget change."',
  '  payload="$(node -pe \'JSON.stringify({ PipelineName: process.env.PIPELINE_NAME, StageName: process.env.STAGE_NAME, ActionName: process.env.ACTION_NAME })\')"',
  '  aws lambda invoke --function-name "$APPROVER" --invocation-type Event --cli-binary-format raw-in-base64-out --payload "$payload" approve.out > /dev/null || exit 3',
  'elif [ "$changed" -eq 1 ]; then',
  '  export MESSAGE="$(connection-budget diff --base deployed --head "$STAGE_DIR" --format json | node -pe \'JSON.parse(require("fs").readFileSync(0, "utf8")).summary\') Review the report in the build log, then approve."',
  '  if [ -n "${NOTIFICATION_ARN:-}" ]; then',
  '    aws sns publish --topic-arn "$NOTIFICATION_ARN" --subject "$NOTIFICATION_SUBJECT" --message "$(printf \'%s\\n\\nReport: %s\\nApprove in stage %s, action %s: %s\' "$MESSAGE" "$LINK" "$STAGE_NAME" "$ACTION_NAME" "$PIPELINE_LINK")" > /dev/null || exit 3',
  '  fi',
  'else exit "$changed"; fi',
].join('\n');

/** Guardrail options of `connection-budget check`, as the step passes them. */
export interface CheckGuardrails {
  readonly maxUtilizationPercent?: number;
  readonly minHeadroom?: number;
  readonly maxIncrease?: number;
  readonly maxIncreasePercent?: number;
  readonly strict?: boolean;
}

/** `--max-utilization 90 --strict`: the options for the CLI, in a stable order. */
export function guardrailArguments(guardrails: CheckGuardrails): string {
  const args: string[] = [];
  const add = (flag: string, value: number | undefined) => {
    if (value !== undefined) {
      args.push(flag, String(value));
    }
  };
  add('--max-utilization', guardrails.maxUtilizationPercent);
  add('--min-headroom', guardrails.minHeadroom);
  add('--max-increase', guardrails.maxIncrease);
  add('--max-increase-percent', guardrails.maxIncreasePercent);
  if (guardrails.strict) {
    args.push('--strict');
  }
  return args.join(' ');
}
