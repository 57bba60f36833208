import { CfnResource, aws_rds as rds } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { resolved } from '../../private/l1';
import { BudgetNagRule } from './rule';

export const proxyRequireTls: BudgetNagRule = {
  suffix: 'ProxyRequireTls',
  level: NagMessageLevel.ERROR,
  info: 'The RDS Proxy does not require TLS.',
  explanation: 'Pool credentials and queries cross the network to the proxy; without RequireTLS a client may connect in plain text. '
    + 'Set requireTLS: true (the DatabaseProxy default) on the proxy.',
  check: (node: CfnResource) => {
    if (!(node instanceof rds.CfnDBProxy)) return NagRuleCompliance.NOT_APPLICABLE;
    return resolved(node, node.requireTls) === true ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
