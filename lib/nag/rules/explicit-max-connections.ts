import { CfnResource, aws_rds as rds } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { resolved } from '../../private/l1';
import { BudgetNagRule } from './rule';
import { instanceParameters, numericParameter } from './support';

/** Engines whose max_connections the budget reads (RDS PostgreSQL, MySQL and MariaDB, Aurora of both). */
const BUDGETED_ENGINES = /^(postgres|mysql|mariadb|aurora)/;

export const explicitMaxConnections: BudgetNagRule = {
  suffix: 'ExplicitMaxConnections',
  level: NagMessageLevel.ERROR,
  info: 'The DB instance has no parameter group that sets max_connections to a number.',
  explanation: 'Without an explicit max_connections the limit follows the instance memory formula, so an instance class change '
    + 'silently moves every budget, and the budget can only estimate it. Set max_connections in the instance\'s (or, for Aurora, '
    + 'the cluster\'s) parameter group, as BudgetedDatabase does.',
  check: (node: CfnResource) => {
    if (!(node instanceof rds.CfnDBInstance)) return NagRuleCompliance.NOT_APPLICABLE;
    const engine = resolved(node, node.engine);
    if (typeof engine !== 'string' || !BUDGETED_ENGINES.test(engine.toLowerCase())) return NagRuleCompliance.NOT_APPLICABLE;
    return numericParameter(instanceParameters(node), 'max_connections') === undefined ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
};
