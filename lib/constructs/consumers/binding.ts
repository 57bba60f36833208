import { aws_ec2 as ec2, aws_iam as iam, CfnResource, Stack } from 'aws-cdk-lib';
import { ConnectionShape, ConsumerKind, ConsumerShape, InvalidValue, UnresolvedValue } from '../../budget';
import { AppIndex } from '../../private/app-index';
import { ConsumerOptions } from '../consumer-options';

/** Something that receives environment variables: a container or a Lambda function. */
export interface EnvironmentHolder {
  /** Identifies the holder across budgets, so two budgets never write the same variable. */
  readonly key: object;
  /** `container 'app' of 'Services/ApiTask'`. */
  readonly description: string;
  /**
   * The variable and secret names it already has. `delivered`: a budget already delivered to it, so only what can be
   * read without running that budget's pool settings is returned.
   */
  existingNames(delivered: boolean): ReadonlySet<string>;
  add(name: string, value: string): void;
}

/** Bounds given at registration for values the templates may leave open. */
export interface ConsumerBounds {
  readonly maxTasks?: number;
  readonly maxConcurrency?: number;
  readonly maxConcurrentRuns?: number;
  readonly tasksPerRun?: number;
}

/** What one consumer kind gives the budget: aws-rds keeps each proxy target kind behind `bind`, the budget each consumer kind. */
export interface ConsumerBinding {
  /** The consumer's path: the resource's, with `[container]` for a container other than the default one. */
  readonly path: string;
  /** Path of the service, task definition or function, which names its ingress rules. */
  readonly resourcePath: string;
  readonly kind: ConsumerKind;
  readonly options: ConsumerOptions;
  readonly connections: ConnectionShape;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  readonly holder: EnvironmentHolder;
  /** Who runs the consumer's code (the task role, the function's role): it may read the consumer's own database secret. */
  readonly grantee: iam.IGrantable;
  /** The L1 the ledger points at: the CfnService, CfnTaskDefinition or CfnFunction. */
  readonly resource: CfnResource;
  /** The container that receives the variables; undefined for a function. */
  readonly container?: string;
  readonly bounds: ConsumerBounds;
  /** The stack whose template carries the consumer's line. */
  readonly stack: Stack;
  gather(index: AppIndex): { shape?: ConsumerShape; unbounded?: string; unresolved: readonly UnresolvedValue[]; invalid: readonly InvalidValue[] };
}

/** How many processes, pools and overflow connections each instance of a consumer has. */
export function connectionShape(options: ConsumerOptions, processes: number | undefined): ConnectionShape {
  return { processes: processes ?? 1, poolsPerProcess: options.poolsPerProcess ?? 1, overflowPerPool: options.overflowPerPool ?? 0 };
}

/** What is wrong with a consumer, in user terms; the budget adds its own path and the method called. */
export class ConsumerProblem extends Error {}
