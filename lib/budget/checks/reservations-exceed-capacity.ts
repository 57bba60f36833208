import { describeAllocation, describeMaxConnections } from '../describe';
import { Check } from './check';

export const reservationsExceedCapacity: Check = {
  id: 'CB-RESERVATIONS-EXCEED-CAPACITY',
  level: 'error',
  summary: 'The engine reserve, reservations and direct clients take more than max_connections.',
  explanation: 'Slots promised to admins, migrations or direct clients do not exist; whoever connects last is refused.',
  onePerSubject: true,
  run: ({ path, capacity }) => {
    if (!capacity || capacity.usable >= 0) {
      return [];
    }
    if (capacity.allocation) {
      return [{
        subject: path,
        message: `the reservations ${capacity.reservedTotal} take more than ${describeAllocation(capacity.allocation)}, ${capacity.allocation.connections} (${capacity.allocation.basis}).`,
        fix: `Lower the reservations by at least ${-capacity.usable}, or ask the owners of '${capacity.allocation.budgetPath}' for a larger allocation.`,
      }];
    }
    const held = capacity.engineReserve + capacity.reservedTotal + capacity.directDemand;
    return [{
      subject: path,
      message: `the engine reserve ${capacity.engineReserve}, reservations ${capacity.reservedTotal} and direct clients ${capacity.directDemand} `
        + `add up to ${held}, more than ${describeMaxConnections(capacity.maxConnections, capacity.engine)}.`,
      fix: capacity.directDemand > 0
        ? `Lower the reservations or the direct clients' demand by at least ${-capacity.usable}, or raise max_connections.`
        : `Lower the reservations by at least ${-capacity.usable}, or raise max_connections.`,
    }];
  },
};
