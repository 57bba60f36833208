import * as fs from 'fs';
import * as path from 'path';
import { App, BootstraplessSynthesizer, DefaultStackSynthesizer, Stack, Stage, pipelines } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildPipelineApp } from '../../bin/example/pipeline';
import { ORDERS_ALLOCATION, OrdersTeamStack, PLATFORM_BUDGET_PATH, TEAM_ENV } from '../../bin/example/team';
import { ConfirmConnectionBudgetChange, ConnectionBudget } from '../../lib';
import { CHECK_SCRIPT } from '../../lib/pipelines/check-script';

const VERSION = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
const LOOKUP_ROLE = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/cdk-hnb659fds-lookup-role-222222222222-eu-west-1']] };

/** The statements of the check project's role policies in a pipeline's template. */
function projectStatements(pipelineTemplate: Template): any[] {
  const policies = pipelineTemplate.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PipelineConnectionBudgetCheckProjectRole') }] } });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

// GIVEN the example pipeline: the platform as stage Production, with the step in its pre steps
const app = new App();
const template = Template.fromStack(buildPipelineApp(app));

describe('ConfirmConnectionBudgetChange in the example pipeline', () => {
  test('a CodeBuild project installs the CLI pinned to this library\'s version and runs the check in bash', () => {
    const project = Object.values(template.findResources('AWS::CodeBuild::Project', { Properties: { Description: 'Compares the connection budgets of a stage with the deployed ones' } }));
    expect(project).toHaveLength(1);
    const buildSpec = JSON.parse(project[0].Properties.Source.BuildSpec);
    expect(buildSpec.phases.install.commands).toEqual([`npm install --global --no-fund --no-audit --legacy-peer-deps --ignore-scripts --save-exact cdk-connection-budget@${VERSION}`]);
    expect(buildSpec.phases.build.commands).toEqual([CHECK_SCRIPT]);
    expect(buildSpec.env).toEqual({ 'shell': 'bash', 'exported-variables': ['LINK', 'MESSAGE'] });
  });

  test('the project may assume only the lookup role of the stage\'s environment, once for its five stacks, and invoke only the approver', () => {
    const statements = projectStatements(template);
    const assume = statements.filter((s) => JSON.stringify(s.Action).includes('sts:'));
    expect(assume).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: LOOKUP_ROLE }]);
    // No deploy role: it may pass the CloudFormation execution role, effectively admin.
    expect(JSON.stringify(statements)).not.toMatch(/deploy-role|cfn-exec-role/);
    const invoke = statements.filter((s) => JSON.stringify(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(JSON.stringify(invoke[0].Resource)).toContain('PipelineConnectionBudgetCheckApprover');
    // Nothing else but what CodeBuild needs for its logs, reports and the pipeline's artifacts.
    const other = statements.filter((s) => !assume.includes(s) && !invoke.includes(s)).flatMap((s) => [s.Action].flat());
    expect(other.filter((a: string) => !/^(logs|codebuild|s3|kms):/.test(a))).toEqual([]);
  });

  test('the approver may approve only in pipelines tagged for it, and the pipeline carries the tag', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^PipelineConnectionBudgetCheckApproverServiceRole') }],
      PolicyDocument: {
        Statement: [{
          Action: ['codepipeline:GetPipelineState', 'codepipeline:PutApprovalResult'],
          Condition: { StringEquals: { 'aws:ResourceTag/CONNECTION_BUDGET_CHECK': 'ALLOW_APPROVE' } },
          Effect: 'Allow',
          Resource: '*',
        }],
      },
    });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Tags: [{ Key: 'CONNECTION_BUDGET_CHECK', Value: 'ALLOW_APPROVE' }] });
  });

  test('the stage runs the check, then the approval, then its deployments', () => {
    const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0];
    const production = pipeline.Properties.Stages.find((s: { Name: string }) => s.Name === 'Production');
    const actions = production.Actions.map((a: any) => [a.Name, a.RunOrder, a.ActionTypeId.Provider]);
    expect(actions.slice(0, 2)).toEqual([['ConnectionBudget.Check', 1, 'CodeBuild'], ['ConnectionBudget.Confirm', 2, 'Manual']]);
    expect(actions.slice(2).every(([, runOrder]: [string, number]) => runOrder > 2)).toBe(true);
    const [check, confirm] = production.Actions;
    expect(confirm.Configuration).toEqual({
      CustomData: `#{${check.Namespace}.MESSAGE}`,
      ExternalEntityLink: `#{${check.Namespace}.LINK}`,
    });
    const variables = JSON.stringify(check.Configuration.EnvironmentVariables);
    expect(variables).toContain('{\\"name\\":\\"STAGE_DIR\\",\\"type\\":\\"PLAINTEXT\\",\\"value\\":\\"assembly-PlatformPipeline-Production\\"}');
    expect(variables).toContain('{\\"name\\":\\"GUARDRAILS\\",\\"type\\":\\"PLAINTEXT\\",\\"value\\":\\"--max-increase-percent 25\\"}');
    // CodePipeline limits a configuration value to 1,000 characters; a Lambda function name has at most 64.
    const parts: Array<string | object> = check.Configuration.EnvironmentVariables['Fn::Join'][1];
    expect(parts.reduce<number>((n, part) => n + (typeof part === 'string' ? part.length : 64), 0)).toBeLessThan(1000);
  });

  test('the stage\'s assembly names every stack with its environment and lookup role, which the check reads', () => {
    const assembly = app.synth().getNestedAssembly('assembly-PlatformPipeline-Production');
    expect(assembly.stacks.map((s) => [s.stackName, s.environment.name, s.lookupRole?.arn]).sort()).toEqual(
      ['PlatformBackend', 'PlatformCluster', 'PlatformData', 'PlatformJobs', 'PlatformWeb'].map((name) => [
        // eslint-disable-next-line no-template-curly-in-string -- CDK's ${AWS::Partition}, substituted at deploy
        `Production-${name}`, 'aws://222222222222/eu-west-1', 'arn:${AWS::Partition}:iam::222222222222:role/cdk-hnb659fds-lookup-role-222222222222-eu-west-1',
      ]));
  });
});

describe('the approver, run as deployed with a stand-in CodePipeline client', () => {
  const approverResource: any = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('connection budget') } }))[0];
  const code: string = approverResource.Properties.Code.ZipFile;
  // The confirmations it may approve are fixed at synth: the example pipeline's one step.
  const approvals: string = approverResource.Properties.Environment.Variables.APPROVALS;
  beforeEach(() => { process.env.APPROVALS = approvals; });
  afterEach(() => { delete process.env.APPROVALS; });

  test('may approve only its own Confirm action', () => {
    expect(JSON.parse(approvals)).toEqual(['Production/ConnectionBudget.Confirm']);
  });

  /** Loads the inline handler with a client whose GetPipelineState answers come from `states`, and instant sleeps. */
  function approver(states: object[]) {
    const sent: Array<{ command: string; input: any }> = [];
    class Command { constructor(public readonly input: any) {} }
    const sdk = {
      GetPipelineStateCommand: class GetPipelineStateCommand extends Command {},
      PutApprovalResultCommand: class PutApprovalResultCommand extends Command {},
      CodePipelineClient: class {
        async send(command: Command) {
          sent.push({ command: command.constructor.name, input: command.input });
          return command instanceof sdk.GetPipelineStateCommand ? states.shift() ?? states : {};
        }
      },
    };
    const module = { exports: {} as { handler: (event: object, context: object) => Promise<void> } };
    new Function('require', 'exports', 'setTimeout', code)(() => sdk, module.exports, (resolve: () => void) => resolve());
    return { handler: module.exports.handler, sent };
  }
  const event = { PipelineName: 'PlatformPipeline', StageName: 'Production', ActionName: 'ConnectionBudget.Confirm' };
  const waiting = { stageStates: [{ stageName: 'Production', actionStates: [{ actionName: 'ConnectionBudget.Confirm' }] }] };
  const started = { stageStates: [{ stageName: 'Production', actionStates: [{ actionName: 'ConnectionBudget.Confirm', latestExecution: { status: 'InProgress', token: 't-1' } }] }] };

  test('waits for the approval action to start, then approves it with its token', async () => {
    const { handler, sent } = approver([waiting, waiting, started]);
    await handler(event, { getRemainingTimeInMillis: () => 60_000 });
    expect(sent.map((s) => s.command)).toEqual(['GetPipelineStateCommand', 'GetPipelineStateCommand', 'GetPipelineStateCommand', 'PutApprovalResultCommand']);
    expect(sent[3].input).toEqual({
      pipelineName: 'PlatformPipeline', stageName: 'Production', actionName: 'ConnectionBudget.Confirm', token: 't-1',
      result: { status: 'Approved', summary: 'No connection budget change.' },
    });
  });

  test.each([
    ['another approval of the same stage (a human production gate)', { ...event, ActionName: 'ManualGate' }, 'Production/ManualGate'],
    ['its action name in another stage', { ...event, StageName: 'Staging' }, 'Staging/ConnectionBudget.Confirm'],
  ])('refuses %s, approving nothing and saying so in its log', async (_, request, requested) => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const { handler, sent } = approver([started]);
    await expect(handler(request, { getRemainingTimeInMillis: () => 60_000 })).rejects.toThrow(`Refused: ${requested} is not a connection budget confirmation of this approver.`);
    expect(sent).toEqual([]);
    expect(log).toHaveBeenCalledWith(`Refused to approve "${requested}" of pipeline "PlatformPipeline": this approver approves only Production/ConnectionBudget.Confirm.`);
    log.mockRestore();
  });

  test('gives up with an error, approving nothing, when the action does not start in time', async () => {
    let remaining = 30_000;
    const { handler, sent } = approver([waiting, waiting, waiting, waiting]);
    await expect(handler(event, { getRemainingTimeInMillis: () => (remaining -= 10_000) })).rejects.toThrow('The approval action Production/ConnectionBudget.Confirm did not start in time.');
    expect(sent.some((s) => s.command === 'PutApprovalResultCommand')).toBe(false);
  });
});

describe('unsafe synths', () => {
  test('fail when the pipeline app is synthesized, so the pipeline stops at its synth step', () => {
    const app = new App();
    expect(() => {
      buildPipelineApp(app, { storefrontMaxCapacity: 30 });
      app.synth();
    }).toThrow(/\[PlatformPipeline\/Production\/PlatformData\/Database\/Budget\] ConnectionBudget 'PlatformPipeline\/Production\/PlatformData\/Database\/Budget': worst-case demand 980 .* \[CB-OVER-CAPACITY\]/);
  });
});

describe('a team\'s pipeline, whose stage holds a budget built from a looked-up allocation', () => {
  // The example team app with its cached allocation record, deployed by a pipeline in its own account.
  const TEAM_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bin', 'team', 'cdk.context.json'), 'utf8'));
  const TEAM_LOOKUP_ROLE = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1']] };

  /** A pipeline in the team's account deploying stage Production, whose stacks `build` adds. */
  function teamPipeline(build: (stage: Stage) => void): App {
    const app = new App({ context: TEAM_CONTEXT });
    const stack = new Stack(app, 'TeamPipeline', { env: TEAM_ENV });
    const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
      synth: new pipelines.ShellStep('Synth', { input: pipelines.CodePipelineSource.gitHub('o/r', 'main'), commands: ['npx cdk synth'] }),
    });
    const stage = new Stage(stack, 'Production');
    build(stage);
    pipeline.addStage(stage, { pre: [new ConfirmConnectionBudgetChange('ConnectionBudget', { stage })] });
    return app;
  }

  test('the project may assume only the stack\'s lookup role, which reads both its template and the live record', () => {
    const app = teamPipeline((stage) => new OrdersTeamStack(stage, 'OrdersTeam', { env: TEAM_ENV }));
    const statements = projectStatements(Template.fromStack(app.node.findChild('TeamPipeline') as Stack));
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('sts:'))).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: TEAM_LOOKUP_ROLE }]);
    expect(JSON.stringify(statements)).not.toMatch(/deploy-role|cfn-exec-role/);
  });

  test('fails when that stack has no lookup role, naming the stack and the fix', () => {
    // A synthesizer with a deploy role and no lookup role; it takes no assets, so the budget has no deploy-time guard (a function).
    const app = teamPipeline((stage) => {
      const stack = new Stack(stage, 'Orders', { env: TEAM_ENV, synthesizer: new BootstraplessSynthesizer({ deployRoleArn: 'arn:aws:iam::111111111111:role/deploy' }) });
      ConnectionBudget.fromAllocation(stack, 'Budget', { owningBudgetPath: PLATFORM_BUDGET_PATH, allocationName: ORDERS_ALLOCATION, deployTimeCheck: false });
    });
    expect(() => app.synth()).toThrow('ConfirmConnectionBudgetChange \'ConnectionBudget\': stack \'TeamPipeline/Production/Orders\' has no lookup role '
      + '(its synthesizer names none); the check reads deployed templates only with a stack\'s read-only lookup role, never its deploy role. '
      + 'Synthesize it with the DefaultStackSynthesizer (useLookupRoleForStackOperations not false).');
  });

  test('fails when any stack of the stage has no lookup role, though it holds no budget', () => {
    const app = teamPipeline((stage) => {
      new OrdersTeamStack(stage, 'OrdersTeam', { env: TEAM_ENV });
      new Stack(stage, 'Dns', { env: TEAM_ENV, synthesizer: new DefaultStackSynthesizer({ useLookupRoleForStackOperations: false }) });
    });
    expect(() => app.synth()).toThrow(/^ConfirmConnectionBudgetChange 'ConnectionBudget': stack 'TeamPipeline\/Production\/Dns' has no lookup role .* \(useLookupRoleForStackOperations not false\)\.$/);
  });
});

describe('properties', () => {
  test('fails on guardrails that are not whole or not positive, and on a CLI version that is not exact', () => {
    const stage = new Stage(new App(), 'S');
    expect(() => new ConfirmConnectionBudgetChange('Budget', { stage, maxUtilizationPercent: -1, minHeadroom: 2.5, maxIncrease: -3, cliVersion: '^1.0.0' })).toThrow(
      'ConfirmConnectionBudgetChange \'Budget\': invalid properties:\n'
      + '- maxUtilizationPercent must be a number of at least 0, got -1\n'
      + '- minHeadroom must be a whole number of at least 0, got 2.5\n'
      + '- maxIncrease must be a whole number of at least 0, got -3\n'
      + '- cliVersion must be an exact version such as 1.2.3, got \'^1.0.0\'');
  });

  test('every step of one pipeline installs the same CLI version', () => {
    const app = new App();
    const stack = new Stack(app, 'P', { env: { account: '111111111111', region: 'eu-west-1' } });
    const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
      synth: new pipelines.ShellStep('Synth', { input: pipelines.CodePipelineSource.gitHub('o/r', 'main'), commands: ['npx cdk synth'] }),
    });
    for (const [id, cliVersion] of [['Beta', '1.0.0'], ['Prod', '1.0.1']]) {
      const stage = new Stage(stack, id);
      new Stack(stage, 'Empty');
      pipeline.addStage(stage, { pre: [new ConfirmConnectionBudgetChange('Budget', { stage, cliVersion })] });
    }
    expect(() => app.synth()).toThrow('ConfirmConnectionBudgetChange: every step of pipeline \'P/Pipeline\' must install the same CLI version; got 1.0.0 and 1.0.1. Pass the same cliVersion to every step, or none.');
  });
});
