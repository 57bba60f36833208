import { Check } from './check';

export const unbudgetedIngress: Check = {
  id: 'CB-UNBUDGETED-INGRESS',
  level: 'error',
  summary: 'A security group rule lets a client that the budget does not count reach the proxy or the database.',
  explanation:
    'Every client that can connect takes connections; one the budget does not know about (a forgotten job, a second app) '
    + 'is exactly the consumer that exhausts the database in the incidents this library answers.',
  run: ({ input }) => (input.unbudgetedIngress ?? []).map((rule) => ({
    subject: rule.rulePath,
    message: `the security group rule '${rule.rulePath}' lets ${rule.source} connect to '${rule.targetPath}' on ${rule.ports}`
      + `${rule.uncertain ? ` if its own security group, ${rule.uncertain}, is that one's` : ''}, `
      + 'but that source is neither a consumer nor a reservation of the budget, so its connections are not counted.',
    fix: 'Register the client with the budget (addEcsService, addEcsTask, addLambdaFunction), list it in the clients of a reservation, or remove the rule.',
  })),
};
