import { Check } from './check';

export const unattributedScalableTarget: Check = {
  id: 'CB-UNATTRIBUTED-SCALABLE-TARGET',
  level: 'error',
  summary: 'An ECS scalable target names its service in a way the budget cannot tell, so it may raise a budgeted service\'s task count.',
  explanation:
    'A scalable target\'s MaxCapacity is the most tasks its service runs; when its ResourceId is a parameter or an import from outside '
    + 'the app, it may scale a budgeted service past what the budget counts.',
  run: ({ input }) => (input.unattributedScalableTargets ?? []).map((target) => ({
    subject: target.path,
    message: `the ECS scalable target '${target.path}' scales ${target.resourceId}, a service the budget cannot tell from the templates.`,
    fix: 'Build its ResourceId from the service\'s own attributes (service.serviceName and its cluster\'s name), or from literal names, so the budget counts it for the right service.',
  })),
};
