import { LedgerSourceJson } from '../../budget';
import { attachedGroups, groupIdentities, sourceIdentity, TYPES } from '../budget-resources';
import { GatheredConsumer } from '../gather-consumers';
import { identity, TemplateResource, TemplateSet } from '../template-set';
import { field } from '../values';

/** The security groups consumers are placed in (as deployed) or were registered with. */
export function consumerGroups(set: TemplateSet, consumers: readonly GatheredConsumer[]): Set<string> {
  const groups = new Set<string>();
  for (const consumer of consumers) {
    consumer.groups.forEach((g) => groups.add(g));
    for (const source of consumer.stored.inputs?.securityGroups ?? []) {
      const id = sourceIdentity(set, source);
      if (id) groups.add(id);
    }
  }
  return groups;
}

/** The identities of sources (security groups, addresses) recorded in a ledger. */
export function sourceIdentities(set: TemplateSet, sources: readonly LedgerSourceJson[]): string[] {
  return sources.map((s) => sourceIdentity(set, s)).filter((id): id is string => id !== undefined);
}

/**
 * The security groups of the proxy or the database as deployed and as the budget knew them, with those of every
 * extra endpoint of the proxy (AWS::RDS::DBProxyEndpoint), which reach the same pool.
 */
export function guardedGroups(set: TemplateSet, resources: readonly TemplateResource[], declared: readonly LedgerSourceJson[]): Set<string> {
  const groups = new Set([...resources.flatMap((r) => attachedGroups(set, r)), ...sourceIdentities(set, declared)]);
  const proxies = new Set(resources.filter((r) => r.type === TYPES.proxy).map(identity));
  for (const endpoint of set.all(TYPES.proxyEndpoint)) {
    if (!set.identitiesIn(endpoint.stack, field(endpoint.properties, 'DBProxyName')).some((id) => proxies.has(id))) continue;
    groupIdentities(set, endpoint, field(endpoint.properties, 'VpcSecurityGroupIds')).forEach((group) => groups.add(group));
  }
  return groups;
}
