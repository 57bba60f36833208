import { describeMaxConnections } from '../describe';
import { Check } from './check';

export const estimatedMaxConnections: Check = {
  id: 'CB-ESTIMATED-MAX-CONNECTIONS',
  level: 'warning',
  summary: 'max_connections is not set explicitly; the budget uses a default or an estimate.',
  explanation:
    'The default follows the instance class: resizing the database silently changes the limit, and for RDS classes '
    + 'AWS publishes no exact value, so the budget estimates it conservatively from nominal memory.',
  onePerSubject: true,
  run: ({ path, maxConnections, input }) => {
    if (!maxConnections || maxConnections.source === 'budget-property' || maxConnections.source === 'parameter-group' || maxConnections.source === 'allocation') {
      return [];
    }
    const how = maxConnections.source === 'memory-estimate'
      ? 'a conservative estimate from nominal memory (AWS publishes no exact value for this class)'
      : maxConnections.source === 'serverless-v2-table'
        ? 'the published value for the cluster\'s maximum capacity, which changes with that capacity'
        : 'the published default, which changes with the instance class';
    return [{
      subject: path,
      message: `${describeMaxConnections(maxConnections, input.capacity.engine)} is ${how}.`,
      fix: 'Set max_connections explicitly in the parameter group the database uses (a static parameter: it takes effect after a reboot), or pass maxConnections to the budget.',
    }];
  },
};
