import { Check } from './check';

export const unbudgetedClient: Check = {
  id: 'CB-UNBUDGETED-CLIENT',
  level: 'error',
  summary: 'A resource can reach the proxy or the database through a budgeted path, but nothing counts its connections.',
  explanation:
    'A security group rule is not the only way in: a service placed in a consumer\'s or the proxy\'s security group, a rule that '
    + 'runs a budgeted task definition, or a second container of a budgeted task connects with no rule of its own.',
  run: ({ input }) => (input.unbudgetedClients ?? []).map((client) => ({
    subject: client.path,
    message: `'${client.path}' ${client.how}, but the budget does not count its connections.`,
    fix: client.fix,
  })),
};
