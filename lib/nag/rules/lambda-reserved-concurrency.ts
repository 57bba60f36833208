import { CfnResource, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { objectValue } from '../../template/values';
import { resolved } from '../../private/l1';
import { BudgetNagRule } from './rule';
import { anyIngress, appIndexOf, renderedList } from './support';

export const lambdaReservedConcurrency: BudgetNagRule = {
  suffix: 'LambdaReservedConcurrency',
  level: NagMessageLevel.ERROR,
  info: 'The Lambda function can reach an RDS Proxy but has no reserved concurrency.',
  explanation: 'Every concurrent execution environment opens its own pool, and without reserved concurrency nothing bounds how '
    + 'many run: a burst of events becomes a burst of connections. Set reservedConcurrentExecutions, and register the function '
    + 'with the ConnectionBudget (addLambdaFunction).',
  check: (node: CfnResource) => {
    if (!(node instanceof lambda.CfnFunction)) return NagRuleCompliance.NOT_APPLICABLE;
    const vpc = objectValue(resolved(node, node.vpcConfig));
    if (vpc.kind !== 'known') return NagRuleCompliance.NOT_APPLICABLE;
    const proxies = appIndexOf(node).dbProxies;
    const reachesProxy = anyIngress(node,
      (stack: Stack) => renderedList(stack, (node.vpcConfig as lambda.CfnFunction.VpcConfigProperty).securityGroupIds),
      (stack: Stack) => proxies.flatMap((p) => renderedList(stack, p.vpcSecurityGroupIds)));
    if (!reachesProxy) return NagRuleCompliance.NOT_APPLICABLE;
    return resolved(node, node.reservedConcurrentExecutions) === undefined ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
};
