import { CfnResource, aws_rds as rds } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { resolved } from '../../private/l1';
import { BudgetNagRule } from './rule';
import { instanceParameters, isPostgres, numericParameter } from './support';

export const postgresIdleInTransactionTimeout: BudgetNagRule = {
  suffix: 'PostgresIdleInTransactionTimeout',
  level: NagMessageLevel.WARN,
  info: 'The PostgreSQL DB instance has no idle_in_transaction_session_timeout above 0.',
  explanation: 'A session left idle inside a transaction holds its connection (and its locks) until someone ends it: the leak '
    + 'that exhausts a pool the budget sized correctly. Set idle_in_transaction_session_timeout (milliseconds) in the parameter '
    + 'group; BudgetedDatabase sets 5 minutes.',
  check: (node: CfnResource) => {
    if (!(node instanceof rds.CfnDBInstance) || !isPostgres(resolved(node, node.engine))) return NagRuleCompliance.NOT_APPLICABLE;
    const timeout = numericParameter(instanceParameters(node), 'idle_in_transaction_session_timeout');
    return timeout !== undefined && timeout > 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
