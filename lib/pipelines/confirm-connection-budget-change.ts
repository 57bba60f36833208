import {
  Aws, Duration, Lazy, Stage, Tags, aws_codebuild as codebuild, aws_codepipeline as codepipeline, aws_codepipeline_actions as actions,
  aws_iam as iam, aws_lambda as lambda, aws_sns as sns, cx_api as cxapi, pipelines,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CHECK_SCRIPT, guardrailArguments } from './check-script';
import { forTerminal } from '../budget';
import { ConstructInputError } from '../private/construct-input-error';
import { libraryVersion, PACKAGE_NAME } from '../private/package-version';
import { describeNumber, isWholeNumber } from '../private/validation';

/** Properties of a {@link ConfirmConnectionBudgetChange}. */
export interface ConfirmConnectionBudgetChangeProps {
  /**
   * The stage whose budgets are compared with the deployed ones; the step goes in its `pre` steps.
   */
  readonly stage: Stage;

  /**
   * Fail the pipeline when a budget's worst case is above this percentage of its ceiling.
   *
   * @default - no utilization guardrail; budget errors always fail
   */
  readonly maxUtilizationPercent?: number;

  /**
   * Fail the pipeline when a budget's headroom is below this many connections.
   *
   * @default - no headroom guardrail
   */
  readonly minHeadroom?: number;

  /**
   * Fail the pipeline when the change raises a budget's worst case by more than this many connections.
   *
   * @default - no increase guardrail
   */
  readonly maxIncrease?: number;

  /**
   * Fail the pipeline when the change raises a budget's worst case by more than this percentage.
   *
   * @default - no percentage guardrail
   */
  readonly maxIncreasePercent?: number;

  /**
   * Fail the pipeline on unacknowledged budget warnings.
   *
   * @default false
   */
  readonly strict?: boolean;

  /**
   * Topic told when a budget change waits for approval.
   *
   * @default - no notification
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * The cdk-connection-budget version whose CLI the check installs.
   *
   * @default - the version of this library
   */
  readonly cliVersion?: string;
}

/** Child ID of the shared project and approver under the pipeline. */
const SHARED_ID = 'ConnectionBudgetCheck';
/** Tag that lets the approver act on a pipeline, as CDK's own ConfirmPermissionsBroadening scopes its approver. */
const APPROVE_TAG = { key: 'CONNECTION_BUDGET_CHECK', value: 'ALLOW_APPROVE' } as const;
/** The approval action starts after the check; the approver waits for it this long at most. */
const APPROVER_TIMEOUT = Duration.minutes(5);

/**
 * A CDK Pipelines step for a stage's `pre`: it compares the stage's synthesized connection budgets with
 * the deployed ones, fails the pipeline when a budget is violated or a guardrail is crossed, and asks
 * for manual approval only when a budget changed (otherwise it approves itself).
 *
 * It adds two actions, `<id>.Check` (CodeBuild) and `<id>.Confirm` (manual approval). The check reads
 * each stack's deployed template with the stack's read-only lookup role, runs `connection-budget check` and
 * `diff` (the CLI pinned to this library's version), prints the Markdown report in its log, and
 * exports `LINK` (the log) and `MESSAGE` (the diff's summary), which the approval shows.
 *
 * In an owning app, an allocation granted with addAllocation is a reservation of its budget: changing
 * it is a budget change, which waits for approval. In a team's app, each budget built from a looked-up
 * allocation (ConnectionBudget.fromAllocation) is checked against the live allocation record, read with
 * its stack's lookup role: the step fails when the team's worst case exceeds what the owning app has
 * deployed, or when the record does not exist.
 */
export class ConfirmConnectionBudgetChange extends pipelines.Step implements pipelines.ICodePipelineActionFactory {
  private readonly props: ConfirmConnectionBudgetChangeProps;

  public constructor(id: string, props: ConfirmConnectionBudgetChangeProps) {
    super(id);
    const problems: string[] = [];
    for (const [name, value] of [['maxUtilizationPercent', props.maxUtilizationPercent], ['maxIncreasePercent', props.maxIncreasePercent]] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        problems.push(`${name} must be a number of at least 0, got ${describeNumber(value)}`);
      }
    }
    for (const [name, value] of [['minHeadroom', props.minHeadroom], ['maxIncrease', props.maxIncrease]] as const) {
      if (value !== undefined && !isWholeNumber(value, 0)) {
        problems.push(`${name} must be a whole number of at least 0, got ${describeNumber(value)}`);
      }
    }
    if (props.cliVersion !== undefined && !/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$/.test(props.cliVersion)) {
      problems.push(`cliVersion must be an exact version such as 1.2.3, got '${props.cliVersion}'`);
    }
    if (problems.length > 0) {
      throw new ConstructInputError(`ConfirmConnectionBudgetChange '${forTerminal(id)}': invalid properties:\n- ${problems.join('\n- ')}`);
    }
    this.props = props;
  }

  /** Adds the check and approval actions; CDK Pipelines calls it while building the pipeline. */
  public produceAction(stage: codepipeline.IStage, options: pipelines.ProduceActionOptions): pipelines.CodePipelineActionFactoryResult {
    const cliVersion = this.props.cliVersion ?? libraryVersion();
    if (cliVersion === undefined) {
      throw new ConstructInputError(`ConfirmConnectionBudgetChange '${forTerminal(this.id)}': cannot find the ${PACKAGE_NAME} package.json to pin the CLI; pass cliVersion.`);
    }
    const shared = ConnectionBudgetCheck.of(options.pipeline, cliVersion);
    if (this.props.notificationTopic) {
      this.props.notificationTopic.grantPublish(shared.project);
    }
    shared.allowAssumeRoles(this.props.stage.synth().stacks.map((stack) => lookupRoleArn(this.id, stack)));
    const namespace = `ConnectionBudget${this.props.stage.node.addr}`;
    const approvalName = `${options.actionName}.Confirm`;
    shared.allowApproval(stage.stageName, approvalName);
    stage.addAction(new actions.CodeBuildAction({
      actionName: `${options.actionName}.Check`,
      runOrder: options.runOrder,
      input: options.artifacts.toCodePipeline(options.pipeline.cloudAssemblyFileSet),
      project: shared.project,
      variablesNamespace: namespace,
      environmentVariables: {
        STAGE_DIR: { value: this.props.stage.artifactId },
        GUARDRAILS: { value: guardrailArguments(this.props) },
        STAGE_NAME: { value: stage.stageName },
        ACTION_NAME: { value: approvalName },
        APPROVER: { value: shared.approver.functionName },
        ...(this.props.notificationTopic ? {
          NOTIFICATION_ARN: { value: this.props.notificationTopic.topicArn },
          NOTIFICATION_SUBJECT: { value: `Connection budget change in ${this.props.stage.stageName}` },
        } : {}),
      },
    }));
    stage.addAction(new actions.ManualApprovalAction({
      actionName: approvalName,
      runOrder: options.runOrder + 1,
      additionalInformation: `#{${namespace}.MESSAGE}`,
      externalEntityLink: `#{${namespace}.LINK}`,
    }));
    return { runOrdersConsumed: 2 };
  }
}

/**
 * The lookup role of a stack, with the environment placeholders CDK leaves for the pipeline filled in. The check reads the
 * deployed template, and any allocation record, with it: the bootstrap's lookup role is read-only (ReadOnlyAccess with
 * kms:Decrypt denied; LOOKUP_ROLE_BOOTSTRAP_VERSION in check-script.ts cites the sources), where the deploy role may pass
 * the CloudFormation execution role, effectively admin.
 */
function lookupRoleArn(stepId: string, stack: cxapi.CloudFormationStackArtifact): string {
  const arn = stack.lookupRole?.arn;
  if (arn === undefined) {
    throw new ConstructInputError(`ConfirmConnectionBudgetChange '${forTerminal(stepId)}': stack '${forTerminal(stack.hierarchicalId)}' has no lookup role (its synthesizer names none); `
      + 'the check reads deployed templates only with a stack\'s read-only lookup role, never its deploy role. '
      + 'Synthesize it with the DefaultStackSynthesizer (useLookupRoleForStackOperations not false).');
  }
  return cxapi.EnvironmentPlaceholders.replace(arn, {
    accountId: stack.environment.account === cxapi.UNKNOWN_ACCOUNT ? Aws.ACCOUNT_ID : stack.environment.account,
    region: stack.environment.region === cxapi.UNKNOWN_REGION ? Aws.REGION : stack.environment.region,
    partition: Aws.PARTITION,
  });
}

/** The CodeBuild project and approver every ConfirmConnectionBudgetChange of a pipeline shares. */
class ConnectionBudgetCheck extends Construct {
  public static of(pipeline: pipelines.CodePipeline, cliVersion: string): ConnectionBudgetCheck {
    const existing = pipeline.node.tryFindChild(SHARED_ID);
    if (existing instanceof ConnectionBudgetCheck) {
      if (existing.cliVersion !== cliVersion) {
        throw new ConstructInputError(`ConfirmConnectionBudgetChange: every step of pipeline '${forTerminal(pipeline.node.path)}' must install the same CLI version; `
          + `got ${existing.cliVersion} and ${cliVersion}. Pass the same cliVersion to every step, or none.`);
      }
      return existing;
    }
    return new ConnectionBudgetCheck(pipeline, SHARED_ID, pipeline.pipeline, cliVersion);
  }

  public readonly project: codebuild.Project;
  public readonly approver: lambda.Function;
  private readonly assumableRoles = new Set<string>();
  /** The confirmations the approver may approve, `stage/action`: its own steps', fixed at synth. */
  private readonly approvals: string[] = [];

  private constructor(scope: Construct, id: string, pipeline: codepipeline.Pipeline, public readonly cliVersion: string) {
    super(scope, id);
    Tags.of(pipeline).add(APPROVE_TAG.key, APPROVE_TAG.value, { includeResourceTypes: ['AWS::CodePipeline::Pipeline'] });
    this.approver = new lambda.Function(this, 'Approver', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(APPROVER_CODE),
      timeout: APPROVER_TIMEOUT,
      description: 'Approves a connection budget confirmation when the budget did not change',
      // Its own Confirm actions only: whoever may invoke it must not approve a human gate of the same pipeline.
      environment: { APPROVALS: Lazy.string({ produce: () => JSON.stringify([...this.approvals].sort()) }) },
    });
    // A policy on the pipeline's ARN would make the pipeline, its check project and this function a cycle.
    this.approver.addToRolePolicy(new iam.PolicyStatement({
      actions: ['codepipeline:GetPipelineState', 'codepipeline:PutApprovalResult'],
      resources: ['*'],
      conditions: { StringEquals: { [`aws:ResourceTag/${APPROVE_TAG.key}`]: APPROVE_TAG.value } },
    }));
    this.project = new codebuild.Project(this, 'Project', {
      description: 'Compares the connection budgets of a stage with the deployed ones',
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { 'shell': 'bash', 'exported-variables': ['LINK', 'MESSAGE'] },
        phases: {
          // The CLI needs none of the construct library's peers (aws-cdk-lib, constructs): skip installing them.
          // Exact version, and no install scripts: the CLI runs none, so nothing the registry serves runs at install.
          install: { commands: [`npm install --global --no-fund --no-audit --legacy-peer-deps --ignore-scripts --save-exact ${PACKAGE_NAME}@${cliVersion}`] },
          build: { commands: [CHECK_SCRIPT] },
        },
      }),
    });
    this.approver.grantInvoke(this.project);
  }

  /** Lets the approver approve the Confirm action of a step. */
  public allowApproval(stageName: string, actionName: string): void {
    this.approvals.push(`${stageName}/${actionName}`);
  }

  /** Lets the project assume these lookup roles, to read deployed templates and allocation records. */
  public allowAssumeRoles(arns: readonly string[]): void {
    const added = [...new Set(arns)].filter((arn) => !this.assumableRoles.has(arn));
    if (added.length > 0) {
      added.forEach((arn) => this.assumableRoles.add(arn));
      this.project.addToRolePolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: added }));
    }
  }
}

/** Waits for the approval action to start, then approves it. Inline: the runtime provides the AWS SDK. */
const APPROVER_CODE = `
const { CodePipelineClient, GetPipelineStateCommand, PutApprovalResultCommand } = require('@aws-sdk/client-codepipeline');
const client = new CodePipelineClient({});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.handler = async (event, context) => {
  const allowed = JSON.parse(process.env.APPROVALS || '[]');
  const requested = event.StageName + '/' + event.ActionName;
  if (typeof event.StageName !== 'string' || typeof event.ActionName !== 'string' || !allowed.includes(requested)) {
    console.log('Refused to approve ' + JSON.stringify(requested) + ' of pipeline ' + JSON.stringify(event.PipelineName)
      + ': this approver approves only ' + allowed.join(', ') + '.');
    throw new Error('Refused: ' + requested + ' is not a connection budget confirmation of this approver.');
  }
  while (context.getRemainingTimeInMillis() > 10000) {
    const state = await client.send(new GetPipelineStateCommand({ name: event.PipelineName }));
    const stage = (state.stageStates || []).find((s) => s.stageName === event.StageName);
    const action = stage && (stage.actionStates || []).find((a) => a.actionName === event.ActionName);
    const execution = action && action.latestExecution;
    if (execution && execution.status === 'InProgress' && execution.token) {
      await client.send(new PutApprovalResultCommand({
        pipelineName: event.PipelineName, stageName: event.StageName, actionName: event.ActionName, token: execution.token,
        result: { status: 'Approved', summary: 'No connection budget change.' },
      }));
      return;
    }
    await sleep(5000);
  }
  throw new Error('The approval action ' + event.StageName + '/' + event.ActionName + ' did not start in time.');
};
`;
