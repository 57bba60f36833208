import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

// Created once per Lambda container; tests mock it (aws-sdk-client-mock).
const cloudFormation = new CloudFormationClient({});

/**
 * Whether CloudFormation is rolling the guard's own stack back. A rollback sends the guard an Update with the previous
 * properties as the new ones, so it can look like a change the guard refuses; refusing it would leave the stack in
 * UPDATE_ROLLBACK_FAILED. A rollback returns to what was deployed before, which the guard let through then.
 * Asked only when the guard is about to refuse: a passing deployment makes no call.
 */
export async function rollingBack(stackId: string | undefined): Promise<boolean> {
  if (stackId === undefined) return false;
  const { Stacks: stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
  return (stacks?.[0]?.StackStatus ?? '').endsWith('ROLLBACK_IN_PROGRESS');
}
