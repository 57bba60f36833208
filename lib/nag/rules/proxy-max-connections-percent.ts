import { CfnResource, Stack, aws_rds as rds } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { numberValue, objectValue } from '../../template/values';
import { resolved } from '../../private/l1';
import { BudgetNagRule } from './rule';
import { appIndexOf, renderedList, rendered } from './support';

/** RDS Proxy's MaxConnectionsPercent when the template leaves it out (SOURCES.rdsProxyPoolConfiguration). */
const SERVICE_DEFAULT_PERCENT = 100;

export const proxyMaxConnectionsPercent: BudgetNagRule = {
  suffix: 'ProxyMaxConnectionsPercent',
  level: NagMessageLevel.ERROR,
  info: 'The RDS Proxy may open 100 % of max_connections while other clients also reach its database.',
  explanation: 'At 100 % the proxy can take every connection the database has, leaving none for the clients that connect '
    + 'directly (migrations, admin sessions, other services). Set the target group\'s MaxConnectionsPercent below 100 so their '
    + 'connections stay free: BudgetedDatabase derives it from the budget\'s reservations.',
  check: (node: CfnResource) => {
    if (!(node instanceof rds.CfnDBProxyTargetGroup)) return NagRuleCompliance.NOT_APPLICABLE;
    const pool = objectValue(resolved(node, node.connectionPoolConfigurationInfo));
    const percent = pool.kind === 'known' ? numberValue(pool.value.maxConnectionsPercent) : numberValue(undefined);
    const value = percent.kind === 'known' ? percent.value : percent.kind === 'absent' ? SERVICE_DEFAULT_PERCENT : undefined;
    if (value === undefined || value < SERVICE_DEFAULT_PERCENT) return NagRuleCompliance.COMPLIANT;
    const index = appIndexOf(node);
    const stackOf = Stack.of(node);
    const proxy = index.dbProxies.find((p) => rendered(stackOf, p.ref) === rendered(stackOf, node.dbProxyName));
    const targets = [
      ...index.dbInstances.filter((i) => renderedList(stackOf, node.dbInstanceIdentifiers).includes(rendered(stackOf, i.ref))).map((i) => i.vpcSecurityGroups),
      ...index.dbClusters.filter((c) => renderedList(stackOf, node.dbClusterIdentifiers).includes(rendered(stackOf, c.ref))).map((c) => c.vpcSecurityGroupIds),
    ];
    // Any ingress to the database's security groups from anything but the proxy is another client.
    const otherClients = index.ingressRules.some((rule) => {
      const stack = Stack.of(rule);
      if (!targets.some((ids) => renderedList(stack, ids).includes(rendered(stack, rule.groupId)))) return false;
      if (rule.sourceSecurityGroupId === undefined) return true;
      return !(proxy ? renderedList(stack, proxy.vpcSecurityGroupIds) : []).includes(rendered(stack, rule.sourceSecurityGroupId));
    });
    return otherClients ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
  },
};
