import { estimateMaxConnections } from '../capacity';
import { describeMaxConnections } from '../describe';
import { Check } from './check';

export const maxConnectionsClaim: Check = {
  id: 'CB-MAX-CONNECTIONS-CLAIM',
  level: 'error',
  summary: 'The budget\'s maxConnections is more than the database runs with.',
  explanation:
    'maxConnections on the budget is a claim, not a setting: when the parameter group keeps the engine default, the '
    + 'database refuses connections above that default whatever the budget was told.',
  run: ({ input }) => {
    const claim = input.capacity.maxConnections;
    if (claim === undefined) {
      return [];
    }
    return input.capacity.instances.flatMap((instance) => {
      if (instance.parameterGroupMaxConnections !== undefined || !instance.sizing) {
        return [];
      }
      const runsWith = estimateMaxConnections(input.capacity.engine, instance.sizing);
      if (!runsWith || claim <= runsWith.value) {
        return [];
      }
      return [{
        subject: input.path,
        message: `maxConnections ${claim} is more than '${instance.path}' runs with: its parameter group does not set max_connections, `
          + `so it keeps the default, ${describeMaxConnections(runsWith, input.capacity.engine)}.`,
        fix: `Set max_connections to ${claim} in the parameter group that '${instance.path}' uses (the budget then reads it there), `
          + `or pass maxConnections of at most ${runsWith.value}.`,
      }];
    });
  },
};
