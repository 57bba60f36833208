import { aws_lambda as lambda, Stack } from 'aws-cdk-lib';
import { MAX_COUNT } from '../../budget';
import { gatherLambdaFacts } from '../../private/lambda-facts';
import { LambdaFunctionConsumerOptions } from '../consumer-options';
import { PoolSize } from '../pool-size';
import { ConsumerBinding, ConsumerProblem, connectionShape } from './binding';
import { consumerOptionProblems } from './options';
import { pathOf } from '../../private/validation';

/** A Lambda function in a VPC as a consumer: one pool set per execution environment. */
export function bindLambdaFunction(fn: lambda.Function, options: LambdaFunctionConsumerOptions): ConsumerBinding {
  const notAFunction = notAFunctionProblem(fn);
  if (notAFunction) {
    throw new ConsumerProblem(notAFunction);
  }
  const problems = consumerOptionProblems(options, 'LambdaFunctionConsumerOptions', [['maxConcurrency', options.maxConcurrency, 1, MAX_COUNT]]);
  if (problems.length > 0) {
    throw new ConsumerProblem(`invalid options:\n- ${problems.join('\n- ')}`);
  }
  if (!fn.isBoundToVpc) {
    throw new ConsumerProblem('the function is not in a VPC, so it cannot reach the proxy or database; pass vpc to the function.');
  }
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const path = fn.node.path;
  return {
    path,
    resourcePath: path,
    kind: 'lambda-function',
    options: { ...options, pool: options.pool ?? PoolSize.fixed(1) },
    connections: connectionShape(options, 1),
    securityGroups: fn.connections.securityGroups,
    holder: {
      key: fn,
      description: `function '${path}'`,
      // The budget asks only before any budget delivered to the function: resolving would otherwise run that budget's pool settings early.
      existingNames: (delivered) => {
        if (delivered) return new Set<string>();
        const variables = (Stack.of(fn).resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables;
        return new Set(Object.keys(variables ?? {}));
      },
      add: (name, value) => fn.addEnvironment(name, value),
    },
    grantee: fn,
    resource: cfn,
    bounds: { maxConcurrency: options.maxConcurrency },
    stack: Stack.of(fn),
    gather: () => gatherLambdaFacts(fn, options.maxConcurrency),
  };
}

/** Why something passed as a function is not one the budget can count, or undefined. */
function notAFunctionProblem(fn: unknown): string | undefined {
  const path = pathOf(fn);
  if (fn instanceof lambda.Function && fn.node.defaultChild instanceof lambda.CfnFunction) {
    return undefined;
  }
  if (fn instanceof lambda.Alias || fn instanceof lambda.Version) {
    return `'${path}' is a Lambda ${fn instanceof lambda.Alias ? 'alias' : 'version'}; reserved concurrency and the VPC belong to the function, `
      + `so register '${fn.lambda.node.path}' itself.`;
  }
  if (fn instanceof lambda.SingletonFunction) {
    return `'${path}' is a SingletonFunction, whose one function every SingletonFunction of the same uuid shares; `
      + 'the budget cannot count it. Create a lambda.Function (or NodejsFunction) for the database work and register that.';
  }
  return `'${path}' is not a Lambda function defined in this app (lambda.Function, NodejsFunction, PythonFunction); `
    + 'an imported function\'s concurrency is not in the app, so register the function where it is defined.';
}
