/**
 * The shell the budget check runs in CodeBuild, as one buildspec command (buildspec 0.2 keeps one shell
 * across a phase, so what it exports reaches `exported-variables`). Pure text: tests run it locally with
 * stand-ins for the AWS CLI.
 *
 * It expects, from the action:
 * - `STAGE_DIR`: the stage's assembly directory inside the cloud assembly artifact, whose manifest
 *   names each stack, its environment and its deploy role (an action's configuration values are
 *   limited to 1,000 characters, too few to list the stacks there);
 * - `GUARDRAILS`: extra `connection-budget check` options;
 * - `STAGE_NAME`, `ACTION_NAME`: the approval action to approve when nothing changed;
 * - `APPROVER`: the function that approves it;
 * - `NOTIFICATION_ARN`, `NOTIFICATION_SUBJECT` (optional): an SNS topic to tell when approval is needed.
 * It exports `LINK` (this build's log) and `MESSAGE` (the diff's summary) for the approval action.
 */
export const CHECK_SCRIPT = [
  'set -u',
  'export PIPELINE_NAME="${CODEBUILD_INITIATOR#codepipeline/}"',
  // arn:aws:codebuild:REGION:ACCOUNT:build/PROJECT:BUILD_ID
  'IFS=: read -r _ _ _ REGION ACCOUNT_ID BUILD_PROJECT BUILD_ID <<< "$CODEBUILD_BUILD_ARN"',
  'PROJECT_NAME="${BUILD_PROJECT#build/}"',
  'export LINK="https://$REGION.console.aws.amazon.com/codesuite/codebuild/$ACCOUNT_ID/projects/$PROJECT_NAME/build/$PROJECT_NAME:$BUILD_ID/?region=$REGION"',
  'export PIPELINE_LINK="https://$REGION.console.aws.amazon.com/codesuite/codepipeline/pipelines/$PIPELINE_NAME/view?region=$REGION"',
  // `stackName region deployRoleArn` per stack of the stage, placeholders filled with this build's partition and account.
  'STACKS="$(node -e "$(cat <<\'JS\'',
  'const manifest = require(require("path").resolve(process.env.STAGE_DIR, "manifest.json"));',
  'const [, partition, , buildRegion, buildAccount] = process.env.CODEBUILD_BUILD_ARN.split(":");',
  'for (const [id, artifact] of Object.entries(manifest.artifacts || {})) {',
  '  if (artifact.type !== "aws:cloudformation:stack") continue;',
  '  const [, account, region] = /^aws:\\/\\/([^/]+)\\/(.+)$/.exec(artifact.environment);',
  '  const accountId = account === "unknown-account" ? buildAccount : account;',
  '  const regionName = region === "unknown-region" ? buildRegion : region;',
  '  const role = (artifact.properties.assumeRoleArn || "").replace(/\\$\\{AWS::Partition\\}/g, partition)',
  '    .replace(/\\$\\{AWS::AccountId\\}/g, accountId).replace(/\\$\\{AWS::Region\\}/g, regionName);',
  '  console.log([artifact.properties.stackName || id, regionName, role].join(" "));',
  '}',
  'JS',
  ')")" || exit 3',
  // The deployed templates, read with each stack's deploy role; a stack not deployed yet is an empty template.
  'mkdir -p deployed',
  'while read -r stack region role; do',
  '  [ -n "$stack" ] || continue',
  '  credentials="$(aws sts assume-role --role-arn "$role" --role-session-name connection-budget-check --query Credentials --output json)" || exit 3',
  '  if ! AWS_ACCESS_KEY_ID="$(node -pe \'JSON.parse(process.argv[1]).AccessKeyId\' "$credentials")" \\',
  '       AWS_SECRET_ACCESS_KEY="$(node -pe \'JSON.parse(process.argv[1]).SecretAccessKey\' "$credentials")" \\',
  '       AWS_SESSION_TOKEN="$(node -pe \'JSON.parse(process.argv[1]).SessionToken\' "$credentials")" \\',
  '       aws cloudformation get-template --stack-name "$stack" --region "$region" --output json > "deployed/$stack.json" 2> get-template.err; then',
  '    if grep -q "does not exist" get-template.err; then echo "$stack is not deployed yet"; echo \'{"Resources":{}}\' > "deployed/$stack.json";',
  '    else cat get-template.err; exit 3; fi',
  '  fi',
  'done <<< "$STACKS"',
  // Guardrails and violations fail the action, and so the pipeline, before the stage deploys.
  'status=0',
  'connection-budget check "$STAGE_DIR" --base deployed $GUARDRAILS --format markdown > connection-budget.md || status=$?',
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
