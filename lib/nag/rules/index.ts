import { ecsCircuitBreaker } from './ecs-circuit-breaker';
import { ecsMaximumPercent } from './ecs-maximum-percent';
import { explicitMaxConnections } from './explicit-max-connections';
import { lambdaReservedConcurrency } from './lambda-reserved-concurrency';
import { postgresIdleInTransactionTimeout } from './postgres-idle-in-transaction-timeout';
import { proxyMaxConnectionsPercent } from './proxy-max-connections-percent';
import { proxyRequireTls } from './proxy-require-tls';
import { BudgetNagRule } from './rule';

export type { BudgetNagRule } from './rule';

/** Every rule of the ConnectionBudget pack, in the order they are applied. */
export const BUDGET_NAG_RULES: readonly BudgetNagRule[] = [
  proxyMaxConnectionsPercent,
  proxyRequireTls,
  explicitMaxConnections,
  postgresIdleInTransactionTimeout,
  lambdaReservedConcurrency,
  ecsCircuitBreaker,
  ecsMaximumPercent,
];
