import { App, Stack, StackProps, Stage, StageProps, aws_codepipeline as codepipeline, pipelines } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConfirmConnectionBudgetChange } from '../../lib';
import { buildPlatform, PlatformOptions } from './platform';

/** The example platform as one deployable unit. */
export class PlatformStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps & PlatformOptions = {}) {
    super(scope, id, props);
    buildPlatform(this, props);
  }
}

export interface PipelineStackProps extends StackProps {
  /** A CodeStar connection to the repository: `arn:aws:codestar-connections:…`. */
  readonly connectionArn: string;
  readonly repository: string;
  readonly branch: string;
  /** Where production lives. */
  readonly production: { readonly account: string; readonly region: string };
  readonly platform?: PlatformOptions;
}

/**
 * CDK Pipelines for the platform: the synth step runs `cdk synth`, so a budget error stops the pipeline
 * there; before production deploys, ConfirmConnectionBudgetChange compares the budget with the deployed
 * one and waits for approval only when it changed.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      crossAccountKeys: true,
      pipelineType: codepipeline.PipelineType.V2,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.connection(props.repository, props.branch, { connectionArn: props.connectionArn }),
        commands: ['npm ci', 'npm run build', 'npx cdk synth --app "npx ts-node --prefer-ts-exts bin/pipeline.ts"'],
      }),
    });
    const production = new PlatformStage(this, 'Production', { env: props.production, ...props.platform });
    this.pipeline.addStage(production, {
      pre: [new ConfirmConnectionBudgetChange('ConnectionBudget', { stage: production, maxIncreasePercent: 25 })],
    });
  }
}

/** Production of the example: a made-up account, so its availability zones are given rather than looked up. */
const PRODUCTION = { account: '222222222222', region: 'eu-west-1' } as const;
const PRODUCTION_AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** Builds the pipeline app (an App of its own: the example platform app stays environment-agnostic). */
export function buildPipelineApp(app: App, platform?: PlatformOptions): PipelineStack {
  // A real app keeps this lookup in cdk.context.json; the example's accounts cannot be looked up.
  const azKey = `availability-zones:account=${PRODUCTION.account}:region=${PRODUCTION.region}`;
  if (app.node.tryGetContext(azKey) === undefined) {
    app.node.setContext(azKey, PRODUCTION_AZS);
  }
  return new PipelineStack(app, 'PlatformPipeline', {
    env: { account: '111111111111', region: 'eu-west-1' },
    connectionArn: 'arn:aws:codestar-connections:eu-west-1:111111111111:connection/00000000-0000-0000-0000-000000000000',
    repository: 'example-org/platform',
    branch: 'main',
    production: PRODUCTION,
    platform,
  });
}
