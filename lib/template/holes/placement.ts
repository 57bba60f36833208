import { LedgerInputsJson } from '../../budget';
import { TYPES } from '../budget-resources';
import { listItems } from '../intrinsics';
import { GatheredConsumer } from '../gather-consumers';
import { attributeIdentity, identity, identityText, TemplateResource, TemplateSet } from '../template-set';

/** The proxy or the database: its resources, its security groups, its port, and who may reach it. */
export interface Guarded {
  readonly path: string;
  readonly resources: readonly TemplateResource[];
  readonly groups: ReadonlySet<string>;
  /** Undefined when unknown until deploy: every rule then counts. */
  readonly port?: number;
  /** Identities of the sources (security groups, addresses) that may reach it: counted clients, and the proxy and database themselves. */
  readonly allowed: ReadonlySet<string>;
}

/** Everything the hole checks read. */
export interface Placement {
  readonly set: TemplateSet;
  readonly inputs: LedgerInputsJson;
  readonly guarded: readonly Guarded[];
  readonly consumers: readonly GatheredConsumer[];
}

/**
 * Resource types that refer to a security group or a task definition without running code in it: security group
 * rules, IAM, stored IDs, network endpoints and data stores (a load balancer, a VPC endpoint, a database, a cache, a
 * search domain, a broker opens no database connection; Redshift is left out, as its federated queries do), custom resources (their function is the one that would run), nested stacks
 * (their own resources are read).
 */
export const INERT_TYPES: ReadonlySet<string> = new Set([
  TYPES.securityGroup, TYPES.ingress, TYPES.egress, 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::CDK::Metadata',
  'AWS::SSM::Parameter', 'AWS::EC2::VPCEndpoint', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer',
  'AWS::EFS::MountTarget', TYPES.dbInstance, TYPES.dbCluster, 'AWS::ElastiCache::CacheCluster', 'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::ServerlessCache', 'AWS::MemoryDB::Cluster', 'AWS::OpenSearchService::Domain', 'AWS::Elasticsearch::Domain',
  'AWS::MSK::Cluster', 'AWS::DocDB::DBCluster', 'AWS::DocDB::DBInstance', 'AWS::Neptune::DBCluster', 'AWS::Neptune::DBInstance',
  'AWS::AmazonMQ::Broker', 'AWS::CloudFormation::CustomResource', 'AWS::CloudFormation::Stack',
]);

/** Whether a resource never opens connections itself (custom resources of any name included). */
export function isInert(resource: TemplateResource): boolean {
  return INERT_TYPES.has(resource.type) || resource.type.startsWith('Custom::');
}

/** `security group 'Ops/Bastion/SecurityGroup'` or `security group 'sg-123'`. */
export function describeIdentity(set: TemplateSet, id: string): string {
  const text = identityText(id);
  if (text !== undefined) {
    return `security group '${text}'`;
  }
  const resource = set.all(TYPES.securityGroup).find((g) => identity(g) === id);
  if (resource) return `security group '${set.pathOf(resource)}'`;
  const vpc = set.all('AWS::EC2::VPC').find((v) => attributeIdentity(v, 'DefaultSecurityGroup') === id);
  return vpc ? `the default security group of '${set.pathOf(vpc)}'` : `security group ${id}`;
}

/** The items of a list property, whichever way its conditions go. */
export function arrayOf(value: unknown): unknown[] {
  return [...listItems(value).items];
}

export function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
