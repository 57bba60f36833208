import { LedgerInputsJson } from '../../budget';
import { TYPES } from '../budget-resources';
import { GatheredConsumer } from '../gather-consumers';
import { identity, TemplateResource, TemplateSet } from '../template-set';

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
 * rules, IAM, stored IDs, network endpoints and data stores (a load balancer, a VPC endpoint, a database, a cache
 * opens no database connection), custom resources (their function is the one that would run), nested stacks
 * (their own resources are read).
 */
export const INERT_TYPES: ReadonlySet<string> = new Set([
  TYPES.securityGroup, TYPES.ingress, TYPES.egress, 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::CDK::Metadata',
  'AWS::SSM::Parameter', 'AWS::EC2::VPCEndpoint', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancing::LoadBalancer',
  'AWS::EFS::MountTarget', TYPES.dbInstance, TYPES.dbCluster, 'AWS::ElastiCache::CacheCluster', 'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::ServerlessCache', 'AWS::CloudFormation::CustomResource', 'AWS::CloudFormation::Stack',
]);

/** Whether a resource never opens connections itself (custom resources of any name included). */
export function isInert(resource: TemplateResource): boolean {
  return INERT_TYPES.has(resource.type) || resource.type.startsWith('Custom::');
}

/** `security group 'Ops/Bastion/SecurityGroup'` or `security group 'sg-123'`. */
export function describeIdentity(set: TemplateSet, id: string): string {
  if (id.startsWith('literal:')) {
    return `security group '${id.slice('literal:'.length)}'`;
  }
  const resource = set.all(TYPES.securityGroup).find((g) => identity(g) === id);
  return resource ? `security group '${set.pathOf(resource)}'` : `security group ${id}`;
}

export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
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
