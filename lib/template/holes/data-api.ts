import { UnbudgetedClient } from '../../budget';
import { TYPES } from '../budget-resources';
import { alternatives } from '../intrinsics';
import { field } from '../values';
import { Placement } from './placement';

/**
 * The budget's Aurora cluster with the RDS Data API on (EnableHttpEndpoint), unless a reservation counts its
 * connections: Data API callers reach the writer through an HTTPS endpoint, with no security group rule to read, and
 * outside Aurora Serverless v1 the Data API has no request limit (SOURCES.rdsDataApiLimits). A value known only at
 * deploy may be true.
 */
export function dataApi(placement: Placement): UnbudgetedClient[] {
  const { set, inputs } = placement;
  if (inputs.reservations.some((r) => r.dataApi === true)) return [];
  const database = placement.guarded[placement.guarded.length - 1];
  return database.resources.filter((r) => r.type === TYPES.dbCluster)
    .filter((cluster) => alternatives(field(cluster.properties, 'EnableHttpEndpoint')).some((v) => v !== undefined && v !== false && v !== 'false'))
    .map((cluster) => ({
      path: set.pathOf(cluster),
      how: 'has the RDS Data API on (EnableHttpEndpoint), whose callers reach the cluster\'s writer without a security group rule',
      fix: `Turn the Data API off (enableDataApi: false), or count its connections: addReservation({ name: 'data-api', connections: <the most it may use>, dataApi: true }).`,
    }));
}
