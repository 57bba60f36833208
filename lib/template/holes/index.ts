import { UnattributedScalableTarget, UnbudgetedClient } from '../../budget';
import { ecsScalableTargets, GatheredConsumer } from '../gather-consumers';
import { TemplateSet } from '../template-set';
import { Actor, launchers, members, TaskRuns } from './clients';
import { containers } from './containers';
import { dataApi } from './data-api';
import { Placement } from './placement';

export { findUnbudgetedIngress } from './ingress';
export { findMisroutedConsumers } from './route';
export { actorsOf, runnersOf, taskRunsOf } from './clients';
export type { Actor, TaskRuns } from './clients';
export type { Guarded, Placement } from './placement';

/**
 * Resources that reach the database without a rule of their own: placed in a consumer's, the proxy's or the
 * database's security group; running a budgeted task definition; or a second container of a budgeted task that
 * carries connection settings; or the cluster's Data API.
 */
export function findUnbudgetedClients(
  placement: Placement, consumerGroups: ReadonlySet<string>, runs: TaskRuns, runners: ReadonlyMap<GatheredConsumer, readonly Actor[]>,
): UnbudgetedClient[] {
  return [...members(placement, consumerGroups, runs), ...launchers(placement, runners), ...containers(placement), ...dataApi(placement)];
}

/** ECS scalable targets whose service cannot be told from the templates. */
export function findUnattributedScalableTargets(set: TemplateSet): UnattributedScalableTarget[] {
  return ecsScalableTargets(set).flatMap(({ target, service }) => (service.kind === 'unknown'
    ? [{ path: set.pathOf(target), resourceId: service.description }] : []));
}
