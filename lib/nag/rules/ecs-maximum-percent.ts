import { CfnResource, aws_ecs as ecs } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { objectValue } from '../../template/values';
import { resolved } from '../../private/l1';
import { BudgetNagRule } from './rule';

export const ecsMaximumPercent: BudgetNagRule = {
  suffix: 'EcsMaximumPercent',
  level: NagMessageLevel.WARN,
  info: 'The ECS service leaves its deployment maximum percent to the service default.',
  explanation: 'The maximum percent sets how many extra tasks, each with its pools, a rolling deployment starts. Left out of the '
    + 'template it is whatever ECS defaults to (200 %); write it, with maxHealthyPercent, so the budget and reviewers see it. '
    + 'CDK\'s services always write it; this finds services built from the L1 or with overrides.',
  check: (node: CfnResource) => {
    if (!(node instanceof ecs.CfnService)) return NagRuleCompliance.NOT_APPLICABLE;
    const configuration = objectValue(resolved(node, node.deploymentConfiguration));
    return configuration.kind === 'known' && configuration.value.maximumPercent !== undefined
      ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
