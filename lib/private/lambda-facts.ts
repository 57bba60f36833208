import { aws_lambda as lambda } from 'aws-cdk-lib';
import { LambdaFacts, lambdaShape } from '../template/lambda-shape';
import { resolved } from './l1';

/** Reads a function's reserved concurrency from its CfnFunction. `maxConcurrencyBound` stands in for a token. */
export function gatherLambdaFacts(fn: lambda.Function, maxConcurrencyBound: number | undefined): LambdaFacts {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  return lambdaShape(fn.node.path, { ReservedConcurrentExecutions: resolved(cfn, cfn.reservedConcurrentExecutions) }, maxConcurrencyBound);
}
