import { CfnResource, Stack, aws_rds as rds } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AppIndex } from '../../private/app-index';
import { numberValue } from '../../template/values';
import { resolved } from '../../private/l1';

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

/** Each item of a list property of an L1 (security group IDs, DB identifiers), as `stack` renders it. */
export function renderedList(stack: Stack, list: unknown): string[] {
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
  // A reference that is absent renders as undefined and matches no group's string.
  const named = <T extends { ref: string }>(all: readonly T[], name: unknown) => all.find((g) => rendered(stack, g.ref) === rendered(stack, name));
  const parametersOf = (group: rds.CfnDBParameterGroup | rds.CfnDBClusterParameterGroup | undefined) =>
    (group ? [(resolved(group, group.parameters) ?? {}) as Record<string, unknown>] : []);
  const cluster = named(index.dbClusters, instance.dbClusterIdentifier);
  return [
    ...parametersOf(named(index.parameterGroups, instance.dbParameterGroupName)),
    ...parametersOf(cluster && named(index.clusterParameterGroups, cluster.dbClusterParameterGroupName)),
  ];
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
