import { AllocationCeiling, Capacity, ENGINE_NAMES, MaxConnections } from './capacity';
import { describePerInstance } from './demand';
import { ConsumerResult } from './model';
import { listOf } from './text';

/** `max_connections 450 (parameter group 'Data/Params')`. */
export function describeMaxConnections(maxConnections: MaxConnections, engine: Capacity['engine']): string {
  return `max_connections ${maxConnections.value} (${maxConnectionsOrigin(maxConnections, engine)})`;
}

/** Where a max_connections value comes from, in words: `parameter group 'Data/Params'`, `estimated for db.t4g.micro`. */
export function maxConnectionsOrigin(maxConnections: MaxConnections, engine: Capacity['engine']): string {
  const origin: Record<MaxConnections['source'], string> = {
    'budget-property': 'set on the budget',
    'parameter-group': maxConnections.basis,
    'aurora-class-table': `${ENGINE_NAMES[engine]} default for ${maxConnections.basis}`,
    'serverless-v2-table': `${ENGINE_NAMES[engine]} default for ${maxConnections.basis}`,
    'memory-estimate': `estimated for ${maxConnections.basis}`,
    'allocation': maxConnections.basis,
  };
  return origin[maxConnections.source];
}

/** `proxy ceiling` or `usable connections`: the name of what limits the consumers. */
export function ceilingName(capacity: Capacity): string {
  if (capacity.allocation) return 'allocation';
  return capacity.proxy && capacity.limitedBy === 'proxy' ? 'proxy ceiling' : 'usable connections';
}

/**
 * The arithmetic behind the effective ceiling, e.g.
 * `max_connections 450 (parameter group 'Data/Params') × 90 % = 405, less 5 kept by RDS Proxy`.
 * For an allocation: `allocation 'orders' of 'Platform/Data/Budget' 120 (SSM parameter '...', cached in cdk.context.json) − 10 reserved for 'x' = 110`.
 */
export function describeCeiling(capacity: Capacity): string {
  if (capacity.allocation) {
    const { allocation } = capacity;
    const granted = `${describeAllocation(allocation)} ${allocation.connections} (${allocation.basis})`;
    return capacity.reservedTotal > 0
      ? `${granted} − ${capacity.reservedTotal} reserved for ${listOf(capacity.reservations.map((r) => `'${r.name}'`), 'and')} = ${capacity.usable}`
      : granted;
  }
  const m = describeMaxConnections(capacity.maxConnections, capacity.engine);
  const proxyKeeps = capacity.proxy ? `, less ${capacity.proxy.internalConnections} kept by RDS Proxy` : '';
  if (capacity.proxy && capacity.limitedBy === 'proxy') {
    const viaProxy = capacity.reservations.filter((r) => r.throughProxy);
    const reservedText = viaProxy.length > 0
      ? `, less ${capacity.reservedThroughProxy} reserved through the proxy for ${listOf(viaProxy.map((r) => `'${r.name}'`), 'and')}`
      : '';
    const derivation = capacity.proxy.derived ? ' (derived by the budget)' : '';
    return `${m} × ${capacity.proxy.maxConnectionsPercent} %${derivation} = ${capacity.proxy.ceiling}${reservedText}${proxyKeeps}`;
  }
  const user = capacity.userConnectionLimit;
  const limitedByUser = user !== undefined && user < capacity.maxConnections.value - capacity.engineReserve;
  // Every ordinary connection counts against one account's max_user_connections when it is below max_connections.
  const terms = limitedByUser ? [`max_user_connections ${user} (of ${m})`] : [m];
  if (!limitedByUser && capacity.engineReserve > 0) {
    terms.push(`${capacity.engineReserve} engine reserve${capacity.engineReserveBasis ? ` (${capacity.engineReserveBasis})` : ''}`);
  }
  if (capacity.reservedTotal > 0) {
    terms.push(`${capacity.reservedTotal} reserved for ${listOf(capacity.reservations.map((r) => `'${r.name}'`), 'and')}`);
  }
  if (capacity.directDemand > 0) {
    terms.push(`${capacity.directDemand} for direct clients`);
  }
  return `${terms.join(' − ')} = ${capacity.usable}${proxyKeeps}`;
}

/** `the allocation 'orders' of 'Platform/Data/Budget'`. */
export function describeAllocation(allocation: AllocationCeiling): string {
  return `the allocation '${allocation.name}' of '${allocation.budgetPath}'`;
}

/** `'Api' 200 = 20 tasks (...) × 1 process × 1 pool × pool 10`. */
export function describeDemand(consumer: ConsumerResult): string {
  const instances = consumer.instances?.explanation ?? 'unknown instances';
  return `'${consumer.input.path}' ${consumer.demand} = ${instances} × ${describePerInstance(consumer.input.kind, consumer.input.connections, consumer.poolSize)}`;
}

/** Capitalizes the first letter: fix lists read as sentences. */
export function sentence(text: string): string {
  return text.length === 0 ? text : `${text[0].toUpperCase()}${text.slice(1)}.`;
}
