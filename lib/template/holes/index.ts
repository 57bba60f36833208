import { UnattributedScalableTarget, UnbudgetedClient } from '../../budget';
import { ecsScalableTargets, GatheredConsumer } from '../gather-consumers';
import { TYPES } from '../budget-resources';
import { TemplateResource, TemplateSet } from '../template-set';
import { field, stringValue } from '../values';
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

/**
 * ECS scalable targets whose service cannot be told from the templates: a ResourceId made at deploy, or a literal
 * service name no service of the templates has while a budgeted service has no literal name (CloudFormation generates
 * it, or it is known only at deploy), which it may be: a name copied from a deployed service, say.
 */
export function findUnattributedScalableTargets(set: TemplateSet, budgetedServices: readonly TemplateResource[]): UnattributedScalableTarget[] {
  const literalNames = new Set(set.all(TYPES.service).flatMap((service) => {
    const name = stringValue(field(service.properties, 'ServiceName'));
    return name.kind === 'known' ? [name.value] : [];
  }));
  const unnamed = budgetedServices.find((service) => stringValue(field(service.properties, 'ServiceName')).kind !== 'known');
  return ecsScalableTargets(set).flatMap(({ target, service }) => {
    if (service.kind === 'unknown') return [{ path: set.pathOf(target), resourceId: service.description }];
    if (service.kind === 'literal' && unnamed && !literalNames.has(service.name)) {
      return [{
        path: set.pathOf(target),
        resourceId: `the service named '${service.name}', which no service of these templates is named, while the name of '${set.pathOf(unnamed)}' `
          + 'is not in its template (CloudFormation generates it, or it is known only at deploy)',
      }];
    }
    return [];
  });
}
