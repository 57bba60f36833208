import { CfnResource, Stack, aws_rds as rds } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AppIndex } from '../../private/app-index';
import { numberValue, resolved } from '../../private/template-values';

/** One index per app and validation run: rules look across the tree, and a walk per resource would be quadratic. */
const indexes = new WeakMap<IConstruct, AppIndex>();

export function appIndexOf(node: IConstruct): AppIndex {
  const root = node.node.root;
  let index = indexes.get(root);
  if (!index) {
    index = AppIndex.of(root);
    indexes.set(root, index);
  }
  return index;
}

/** A value as `stack` renders it, comparable as a string. */
export function rendered(stack: Stack, value: unknown): string {
  return JSON.stringify(stack.resolve(value));
}

/** The rendered IDs of a list of security group IDs (a list property of an L1), in `stack`. */
export function groupIds(stack: Stack, list: unknown): string[] {
  const value = stack.resolve(list);
  return Array.isArray(value) ? value.map((v) => JSON.stringify(v)) : [];
}

/** Whether an AWS::EC2::SecurityGroupIngress in the app lets one of `sources` into one of `targets`. */
export function anyIngress(node: CfnResource, sourceIds: (stack: Stack) => string[], targetIds: (stack: Stack) => string[]): boolean {
  return appIndexOf(node).ingressRules.some((rule) => {
    const stack = Stack.of(rule);
    if (rule.sourceSecurityGroupId === undefined || !targetIds(stack).includes(rendered(stack, rule.groupId))) {
      return false;
    }
    return sourceIds(stack).includes(rendered(stack, rule.sourceSecurityGroupId));
  });
}

/** The parameters of the parameter groups that apply to a DB instance: its own, then (Aurora) its cluster's. */
export function instanceParameters(instance: rds.CfnDBInstance): Array<Record<string, unknown>> {
  const index = appIndexOf(instance);
  const stack = Stack.of(instance);
  const own = index.parameterGroups.find((g) => rendered(stack, g.ref) === rendered(stack, instance.dbParameterGroupName));
  const groups: Array<Record<string, unknown>> = [];
  if (instance.dbParameterGroupName !== undefined && own) {
    groups.push((resolved(own, own.parameters) ?? {}) as Record<string, unknown>);
  }
  if (instance.dbClusterIdentifier !== undefined) {
    const cluster = index.dbClusters.find((c) => rendered(stack, c.ref) === rendered(stack, instance.dbClusterIdentifier));
    const clusterGroup = cluster && index.clusterParameterGroups.find((g) => rendered(stack, g.ref) === rendered(stack, cluster.dbClusterParameterGroupName));
    if (cluster?.dbClusterParameterGroupName !== undefined && clusterGroup) {
      groups.push((resolved(clusterGroup, clusterGroup.parameters) ?? {}) as Record<string, unknown>);
    }
  }
  return groups;
}

/** A parameter's numeric value in the first group that sets it. */
export function numericParameter(groups: ReadonlyArray<Record<string, unknown>>, name: string): number | undefined {
  for (const group of groups) {
    const value = numberValue(group[name]);
    if (value.kind === 'known') {
      return value.value;
    }
  }
  return undefined;
}

/** Whether an RDS/Aurora engine name is PostgreSQL. */
export function isPostgres(engine: unknown): boolean {
  return typeof engine === 'string' && engine.toLowerCase().includes('postgres');
}
