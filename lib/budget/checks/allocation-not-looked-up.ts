import { Check } from './check';

export const allocationNotLookedUp: Check = {
  id: 'CB-ALLOCATION-NOT-LOOKED-UP',
  level: 'error',
  summary: 'The allocation record has not been looked up: the budget was synthesized with CDK\'s stand-in value.',
  explanation: 'On the first synth CDK returns a dummy value for a context lookup and looks the value up afterwards; '
    + 'a budget computed from the dummy has no real ceiling, so nothing synthesized with it may deploy.',
  run: ({ path, input }) => {
    const allocation = input.capacity.allocation;
    if (!allocation?.pending) {
      return [];
    }
    return [{
      subject: path,
      message: `the allocation '${allocation.name}' of '${allocation.budgetPath}' has not been looked up yet (${allocation.basis}), `
        + 'so this synth used CDK\'s dummy value and the budget has no ceiling.',
      fix: 'Run cdk synth (or cdk diff, cdk deploy) with credentials for the stack\'s account and region once, so CDK reads the owning app\'s record '
        + 'and caches it in cdk.context.json (commit that file), or pass the allocation\'s attributes.',
    }];
  },
};
