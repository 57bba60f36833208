import { Allocation, PoolRequest } from './allocation';
import { Capacity, CapacityInput, MaxConnections } from './capacity';
import { ConnectionShape, ConsumerKind, ConsumerShape, InstanceCounts } from './demand';
import { forTerminal } from './escape';
import { ChainSurge, WaveMembership } from './waves';

/** A value the template leaves unknown until deploy (a token) where the budget needs a number. */
export interface UnresolvedValue {
  /** Path of the construct that holds the value. */
  readonly path: string;
  /** What the value is: `MaxCapacity`. */
  readonly what: string;
  /** Why it is unknown at synth time. @default 'a token' */
  readonly why?: string;
  /** How to give the budget a bound: `pass maxTasks to addEcsService()`. */
  readonly fix: string;
}

/** A value that no deployment can have or the budget cannot plan with: a percent of 150, max_connections '1e3'. */
export interface InvalidValue {
  /** Path of the construct that holds the value. */
  readonly path: string;
  /** What the value is: `max_connections parameter`. */
  readonly what: string;
  /** The value as written: `1e3`. */
  readonly value: string;
  /** What it must be: `a whole number from 1 to 262143`. */
  readonly allowed: string;
  /** How to correct it. */
  readonly fix: string;
}

/**
 * How a consumer reaches the database. Through the proxy it shares the proxy's ceiling; directly it
 * takes its worst case out of max_connections before the proxy's share (it must have a fixed pool).
 * Without a proxy every consumer connects directly and they share the usable connections.
 */
export type ConsumerRoute = 'proxy' | 'direct';

/** One consumer of connections, as gathered from the app. */
export interface ConsumerInput {
  /** Construct path; unique within a budget and the order everything is sorted in. */
  readonly path: string;
  readonly kind: ConsumerKind;
  /** The deployed shape; absent when a value it needs is unresolved or the consumer is unbounded. */
  readonly shape?: ConsumerShape;
  readonly connections: ConnectionShape;
  readonly pool: PoolRequest;
  /** @default 'proxy' */
  readonly route?: ConsumerRoute;
  /** Why nothing bounds the consumer's instances (a Lambda without reserved concurrency); absent when bounded. */
  readonly unbounded?: string;
  readonly unresolved: readonly UnresolvedValue[];
  /** Values of the consumer's resources that cannot be right; the shape is then absent. @default none */
  readonly invalid?: readonly InvalidValue[];
  /** The chain its service deploys in, as the templates order it; only the largest surge of a chain counts. @default - not chained: counted at its peak */
  readonly wave?: WaveMembership;
}

/**
 * A security group rule that lets a source reach the proxy or the database although the source is
 * neither a consumer nor a reservation of the budget: a hole in the budget.
 */
export interface UnbudgetedIngress {
  /** Path of the rule (an AWS::EC2::SecurityGroupIngress, or the security group holding an inline rule). */
  readonly rulePath: string;
  /** Path of the proxy or database the rule opens. */
  readonly targetPath: string;
  /** The source, for messages: `security group 'Ops/Bastion/SecurityGroup'`, `10.0.0.0/16`. */
  readonly source: string;
  /** The ports the rule opens: `5432`, `all ports`. */
  readonly ports: string;
  /** When the rule's own group is known only at deploy: what it is (`parameter 'Sg' of stack 'Ops'`); it may be the target's. @default - the rule's group is the target's */
  readonly uncertain?: string;
}

/** A client that can reach the proxy or the database but that no consumer or reservation counts. */
export interface UnbudgetedClient {
  /** Path of the resource (a service, a function, a rule, a container's task definition). */
  readonly path: string;
  /** How it reaches the database: `is placed in security group 'X', which may connect to 'Data/Proxy'`. */
  readonly how: string;
  readonly fix: string;
}

/** Whether the proxy or the database refuses clients without TLS, as the templates deploy it. */
export interface TlsSetting {
  /** Path of the proxy or the database. */
  readonly path: string;
  /** `unknown` when the templates leave it to deploy time or to a resource outside the app. */
  readonly state: 'required' | 'not-required' | 'unknown';
  /** What decides it, for messages: `RequireTLS is false`, `rds.force_ssl is '0' in the parameter group 'Data/Params'`. */
  readonly basis: string;
  /** What to change to require TLS, without a final period: the check adds how to acknowledge the warning instead. */
  readonly fix: string;
}

/** A reservation client that is every address: a CIDR range with prefix length 0, such as ec2.Peer.anyIpv4(). */
export interface OpenClient {
  /** The reservation's name (`allocation:<name>` for an allocation). */
  readonly reservation: string;
  /** The range as written: `0.0.0.0/0`, `::/0`. */
  readonly range: string;
  /** Path of the proxy or database the reservation's clients get ingress to. */
  readonly targetPath: string;
}

/** A consumer whose variables point at another entry point than the one the budget counts it at. */
export interface MisroutedConsumer {
  /** The consumer's path. */
  readonly consumer: string;
  /** Where the variable is: `the container 'app'`, `the function 'Jobs/Fn'`. */
  readonly holder: string;
  readonly name: string;
  /** How the budget counts the consumer: through the proxy, or directly at the database. */
  readonly route: 'proxy' | 'direct';
  /** Path of the proxy (or database) the budget counts it at. */
  readonly countedAt: string;
  /** Path of the database (or proxy) whose endpoint the variable holds. */
  readonly pointsAt: string;
}

/** An ECS scalable target whose service the budget cannot tell: it may raise a budgeted service's task count. */
export interface UnattributedScalableTarget {
  readonly path: string;
  /** Its ResourceId, described: `service/${Cluster}/${parameter 'ServiceName'}`. */
  readonly resourceId: string;
}

/** A variable the budget delivers whose deployed value is not the budget's. */
export interface OverwrittenVariable {
  /** The consumer's path. */
  readonly consumer: string;
  /** Where the variable is delivered: `container 'app' of 'Services/ApiTask'`. */
  readonly holder: string;
  readonly name: string;
  /** The budget's value. */
  readonly budget: string;
  /** What deploys instead: `'50'`, `nothing`, `a secret`. */
  readonly deployed: string;
}

/** A figure the ledger stored that the templates do not give. */
export interface LedgerDifference {
  /** Path of what the figure is about: a consumer, the proxy, the budget. */
  readonly subject: string;
  /** `the most tasks of 'Services/Api'`. */
  readonly what: string;
  readonly ledger: string;
  readonly templates: string;
  /** What to do, where it is not to set the value through the construct: `@default` - that. */
  readonly fix?: string;
}

/** Everything one budget is computed from. */
export interface BudgetInput {
  /** Construct path of the budget. */
  readonly path: string;
  readonly capacity: CapacityInput;
  readonly consumers: readonly ConsumerInput[];
  /** Demand at or above this share of the ceiling raises a warning. */
  readonly warningThresholdPercent: number;
  /** Budget-level values left unknown (max_connections, proxy settings). */
  readonly unresolved: readonly UnresolvedValue[];
  /** Budget-level values that cannot be right (a parameter that is not a number, a percent of 150). @default none */
  readonly invalid?: readonly InvalidValue[];
  /** Ingress to the proxy or database from sources the budget does not count. @default none */
  readonly unbudgetedIngress?: readonly UnbudgetedIngress[];
  /** Resources that can reach the proxy or database without a rule of their own. @default none */
  readonly unbudgetedClients?: readonly UnbudgetedClient[];
  /** Whether the proxy and the database require TLS. @default - not read (a budget built from an allocation: the owning app's check) */
  readonly tls?: { readonly proxy?: TlsSetting; readonly database?: TlsSetting };
  /** Reservation clients that are every address. @default none */
  readonly openClients?: readonly OpenClient[];
  /** Consumers whose variables point at another entry point than the one they are counted at. @default none */
  readonly misroutedConsumers?: readonly MisroutedConsumer[];
  /** ECS scalable targets whose service cannot be told. @default none */
  readonly unattributedScalableTargets?: readonly UnattributedScalableTarget[];
  /** Delivered variables whose deployed value is not the budget's. @default none */
  readonly overwrittenVariables?: readonly OverwrittenVariable[];
  /** Figures the stored ledger gives that the templates do not. @default none */
  readonly ledgerDifferences?: readonly LedgerDifference[];
  /** Resources the ledger names in stacks whose templates were not read. @default none */
  readonly missingTemplates?: ReadonlyArray<{ readonly subject: string; readonly what: string; readonly stack: string }>;
}

/** A consumer with its pool size and demand. */
export interface ConsumerResult {
  readonly input: ConsumerInput;
  /** Absent when the shape is unresolved. */
  readonly instances?: InstanceCounts;
  /** Whether the consumer connects to the database directly, beside the proxy; its demand is then part of capacity.directDemand. */
  readonly direct: boolean;
  /** The pool maximum delivered to the consumer. */
  readonly poolSize: number;
  readonly connectionsPerInstance: number;
  /** Worst case: peak instances × connections per instance (0 when unresolved). */
  readonly demand: number;
  /** Without deployment surge: steady instances × connections per instance. */
  readonly steadyDemand: number;
}

/** Budget totals. Capacity-dependent figures are absent when max_connections is unknown. */
export interface Totals {
  /** Worst case of the consumers that share the ceiling (direct consumers are in capacity.directDemand), with the credit of waves. */
  readonly demand: number;
  /** The same consumers each at its peak: the worst case if every service deployed at once. */
  readonly uncreditedDemand: number;
  /** The chains of services that deploy in waves and the surge each counts; empty without waves. */
  readonly chains: readonly ChainSurge[];
  /** Worst case of the consumers that bypass the proxy. */
  readonly directDemand: number;
  readonly steadyDemand: number;
  /** Fixed pools plus every derived pool at its minimum. */
  readonly required: number;
  readonly ceiling?: number;
  readonly headroom?: number;
  readonly utilizationPercent?: number;
}

export type ProblemLevel = 'error' | 'warning';

/** A finding about a budget, with a stable ID. */
export interface Problem {
  readonly id: string;
  readonly level: ProblemLevel;
  /** Path of the construct the problem is about (the budget or a consumer). */
  readonly subject: string;
  /** What is wrong, with the numbers; starts with the budget's name and path. */
  readonly message: string;
  /** What to change. */
  readonly fix: string;
}

/** A computed budget. */
export interface BudgetEvaluation {
  readonly path: string;
  readonly input: BudgetInput;
  readonly maxConnections?: MaxConnections;
  readonly capacity?: Capacity;
  readonly allocation?: Allocation;
  /** Sorted by path. */
  readonly consumers: readonly ConsumerResult[];
  readonly totals: Totals;
  /** Errors first, then warnings; each group in check order. */
  readonly problems: readonly Problem[];
}

/** `message fix`: what is wrong and what to change, in one line for the terminal `cdk synth` prints it to. */
export function problemText(problem: Problem): string {
  return forTerminal(`${problem.message} ${problem.fix}`);
}

/** `message fix [ID]`: the one-line form of a synth error. */
export function formatProblem(problem: Problem): string {
  return `${problemText(problem)} [${problem.id}]`;
}
