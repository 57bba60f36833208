import * as fs from 'fs';
import * as path from 'path';
import { Aws, aws_ec2 as ec2, aws_iam as iam, aws_lambda as lambda, aws_lambda_nodejs as nodejs, custom_resources as cr, CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The guards run a few milliseconds of arithmetic (and, for the reboot guard, one RDS call per instance). */
const GUARD_TIMEOUT = Duration.minutes(1);
const GUARD_MEMORY_MB = 128;
/** A fixed runtime (not NODEJS_LATEST), whose AWS SDK v3 the reboot guard uses; the newest CDK knows. */
export const GUARD_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * How a checkout bundles a guard's handler at synth, as bin/bundle-handlers.js bundles it for the package (a test holds
 * the two alike): the runtime provides AWS SDK v3, which bundling would only make larger; node-postgres loads its
 * optional native binding only when asked.
 */
export const GUARD_BUNDLING = { externalModules: ['@aws-sdk/*', 'pg-native'], minify: true } as const;

/**
 * A guard handler's code: in a checkout its TypeScript source, which NodejsFunction bundles at synth with the local
 * esbuild; in the installed package the bundle `npm run build` made of it (bin/bundle-handlers.js), with its database
 * driver, so an app synthesizes the guards without esbuild or Docker of its own.
 */
function handlerCode(name: string): { readonly source: string } | { readonly bundle: string } {
  const source = path.join(__dirname, '..', 'guards', `${name}.ts`);
  if (fs.existsSync(source)) return { source };
  const bundle = path.join(__dirname, '..', '..', 'handlers', name);
  if (!fs.existsSync(path.join(bundle, 'index.js'))) {
    throw new Error(`cdk-connection-budget: the bundle of the Lambda handler '${name}' is missing (${bundle}/index.js), `
      + 'so this install of the package is incomplete. Reinstall it; in a checkout, run npm run build.');
  }
  return { bundle };
}

/** Where a guard's function runs when it must reach the database. */
export interface GuardFunctionOptions {
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  readonly environment?: Record<string, string>;
  readonly timeout?: Duration;
  /** Whether the function asks CloudFormation if its stack is rolling back (a guard does; the user manager applies either way). */
  readonly letsRollbacksThrough?: boolean;
}

/**
 * A deploy-time guard's Lambda function (its code from handlerCode), and the custom-resources Provider that turns a thrown error into a failed deployment with the error's message in the stack's events.
 */
export function guardProvider(scope: Construct, handler: string, description: string, options: GuardFunctionOptions = {}): { fn: lambda.Function; provider: cr.Provider } {
  const code = handlerCode(handler);
  const props: lambda.FunctionOptions = {
    timeout: options.timeout ?? GUARD_TIMEOUT,
    memorySize: GUARD_MEMORY_MB,
    description,
    vpc: options.vpc,
    vpcSubnets: options.vpcSubnets,
    securityGroups: options.securityGroups,
    environment: options.environment,
  };
  const fn = 'bundle' in code
    ? new lambda.Function(scope, 'Handler', { ...props, runtime: GUARD_RUNTIME, code: lambda.Code.fromAsset(code.bundle), handler: 'index.handler' })
    : new nodejs.NodejsFunction(scope, 'Handler', {
      ...props,
      runtime: GUARD_RUNTIME,
      entry: code.source,
      bundling: { externalModules: [...GUARD_BUNDLING.externalModules], minify: GUARD_BUNDLING.minify },
    });
  // A guard asks whether CloudFormation is rolling its own stack back, and lets the rollback through.
  if (options.letsRollbacksThrough !== false) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [Aws.STACK_ID] }));
  }
  const provider = new cr.Provider(scope, 'Provider', { onEventHandler: fn });
  const stack = Stack.of(scope);
  // cdk-nag's AwsSolutions pack (and any other pack) reads these acknowledgements; each says why the finding is intended.
  Validations.of(scope).acknowledge(
    { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The guard\'s functions write only their own logs, which is what this managed policy grants.' },
    { id: `AwsSolutions-IAM5[Resource::<${stack.resolve(stack.getLogicalId(fn.node.defaultChild as CfnElement))}.Arn>:*]`,
      reason: 'The custom-resources Provider framework invokes any version of the guard\'s own function, and nothing else.' },
  );
  if (options.vpc) {
    Validations.of(scope).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason: 'The function runs in the database\'s VPC: this managed policy grants the network interfaces that needs, and its own logs.' });
  }
  return { fn, provider };
}
