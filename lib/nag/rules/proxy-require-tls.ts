import { CfnResource, aws_rds as rds } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { renderedProperties } from '../../private/l1';
import { proxyTls } from '../../template/tls-facts';
import { BudgetNagRule } from './rule';

export const proxyRequireTls: BudgetNagRule = {
  suffix: 'ProxyRequireTls',
  level: NagMessageLevel.ERROR,
  info: 'The RDS Proxy does not require TLS.',
  explanation: 'Pool credentials and queries cross the network to the proxy; without RequireTLS a client may connect in plain text. '
    + 'Set requireTLS: true (the DatabaseProxy default) on the proxy.',
  // The budget's CB-TLS-NOT-REQUIRED reads the same setting: an override of RequireTLS counts, a value known only at deploy does not pass.
  check: (node: CfnResource) => {
    if (!(node instanceof rds.CfnDBProxy)) return NagRuleCompliance.NOT_APPLICABLE;
    return proxyTls(node.node.path, renderedProperties(node)).state === 'required' ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
