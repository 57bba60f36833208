/*
 * Deploying in waves (design.md §11). CloudFormation updates sibling resources in parallel, so without a chain every
 * service's deployment surge counts at once. When the templates make services deploy one after the other (DependsOn
 * within a stack, stack dependencies across stacks), at most one service of a chain surges at a time, and the worst case
 * is every service at its most tasks plus the largest single surge of each chain.
 */
import { compareText } from './text';

/** Where a consumer's deployment surge belongs when its service deploys in a chain. */
export interface WaveMembership {
  /** The chain: a run of services the templates deploy one at a time. Only its largest service surge counts. */
  readonly chain: string;
  /** The service the consumer's tasks belong to (its path): the consumers of one service surge together. */
  readonly service: string;
}

/** A consumer as the wave arithmetic sees it. */
export interface WaveItem {
  readonly path: string;
  /** Worst case: peak instances × connections per instance. */
  readonly demand: number;
  /** Without deployment surge: the most instances × connections per instance. */
  readonly steadyDemand: number;
  /** Absent when the consumer's deployment is not chained: it counts at its own peak. */
  readonly wave?: WaveMembership;
}

/** One chain's surges. */
export interface ChainSurge {
  readonly chain: string;
  /** Its services in order of their paths. */
  readonly services: readonly string[];
  /** The service whose surge counts, and its surge extra (peak − steady connections); absent when no service surges. */
  readonly largest?: { readonly service: string; readonly connections: number };
}

/** The worst case with the credit of deploying in waves. */
export interface WaveDemand {
  /** Every unchained consumer at its peak, every chained one at its steady demand, plus the largest surge of each chain. */
  readonly demand: number;
  /** Every consumer at its peak: the worst case without waves. */
  readonly uncreditedDemand: number;
  /** uncreditedDemand − demand. */
  readonly credit: number;
  /** Sorted by chain. */
  readonly chains: readonly ChainSurge[];
}

/** The credited worst case of consumers that share one ceiling. */
export function waveDemand(items: readonly WaveItem[]): WaveDemand {
  let demand = 0;
  let uncreditedDemand = 0;
  const surges = new Map<string, Map<string, number>>();
  for (const item of items) {
    uncreditedDemand += item.demand;
    if (!item.wave) {
      demand += item.demand;
      continue;
    }
    demand += item.steadyDemand;
    const services = surges.get(item.wave.chain) ?? new Map<string, number>();
    services.set(item.wave.service, (services.get(item.wave.service) ?? 0) + item.demand - item.steadyDemand);
    surges.set(item.wave.chain, services);
  }
  const chains: ChainSurge[] = [...surges.entries()].sort(([a], [b]) => compareText(a, b)).map(([chain, services]) => {
    const ordered = [...services.keys()].sort(compareText);
    // The first of the largest, in path order: the same input gives the same answer.
    const service = ordered.reduce<string | undefined>((best, s) => (best === undefined || services.get(s)! > services.get(best)! ? s : best), undefined);
    const connections = service === undefined ? 0 : services.get(service)!;
    demand += connections;
    return { chain, services: ordered, ...(service !== undefined && connections > 0 ? { largest: { service, connections } } : {}) };
  });
  return { demand, uncreditedDemand, credit: uncreditedDemand - demand, chains };
}
