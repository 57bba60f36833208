import { Check } from './check';

export const noConsumers: Check = {
  id: 'CB-NO-CONSUMERS',
  level: 'warning',
  summary: 'The budget has no consumers.',
  explanation: 'A budget without consumers checks nothing; the services that use the database are probably not registered.',
  run: ({ path, consumers }) => consumers.length > 0 ? [] : [{
    subject: path,
    message: 'the budget has no consumers, so nothing is checked against it.',
    fix: 'Register every service that connects to the database (addEcsService), or remove the budget.',
  }],
};
