import { CfnResource, aws_ecs as ecs } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { objectValue } from '../../template/values';
import { resolved } from '../../private/l1';
import { BudgetNagRule } from './rule';

export const ecsCircuitBreaker: BudgetNagRule = {
  suffix: 'EcsCircuitBreaker',
  level: NagMessageLevel.WARN,
  info: 'The ECS service has no deployment circuit breaker.',
  explanation: 'A deployment whose tasks fail keeps starting new ones, each opening its pool, for as long as the deployment runs: '
    + 'the surge the budget counts, held for hours. Enable circuitBreaker (with rollback) on the service.',
  check: (node: CfnResource) => {
    if (!(node instanceof ecs.CfnService)) return NagRuleCompliance.NOT_APPLICABLE;
    const controller = objectValue(resolved(node, node.deploymentController));
    if (controller.kind === 'known' && controller.value.type !== undefined && controller.value.type !== 'ECS') return NagRuleCompliance.NOT_APPLICABLE;
    const configuration = objectValue(resolved(node, node.deploymentConfiguration));
    const breaker = configuration.kind === 'known' ? objectValue(configuration.value.deploymentCircuitBreaker) : undefined;
    return breaker?.kind === 'known' && breaker.value.enable === true ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
