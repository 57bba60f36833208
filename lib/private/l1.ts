import { CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ownerOf } from '../template/template-set';

/** Resolves an L1 property the way the template will render it (before any raw override). */
export function resolved(l1: IConstruct, value: unknown): unknown {
  return value === undefined ? undefined : Stack.of(l1).resolve(value);
}

/**
 * The properties an L1 deploys with, as its template will hold them. Unlike its typed properties they include raw
 * overrides (addPropertyOverride), which CDK applies only when it renders the resource.
 */
export function renderedProperties(l1: CfnResource): unknown {
  const rendered = Stack.of(l1).resolve(l1._toCloudFormation()) as { Resources?: Record<string, { Properties?: unknown }> };
  return Object.values(rendered.Resources ?? {})[0]?.Properties;
}

/** Path of the construct that owns an L1 (the L2 around it, or the L1 itself at a stack's top), for messages. */
export function ownerPath(l1: IConstruct): string {
  return ownerOf(l1.node.path, Stack.of(l1).node.path);
}
