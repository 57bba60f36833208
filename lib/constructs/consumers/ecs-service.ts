import { aws_ecs as ecs, Stack } from 'aws-cdk-lib';
import { ECS_MAX_TASKS_PER_SERVICE, MAX_COUNT } from '../../budget';
import { gatherEcsServiceFacts } from '../../private/ecs-service-facts';
import { pathOf } from '../../private/validation';
import { EcsServiceConsumerOptions } from '../consumer-options';
import { ConsumerBinding, ConsumerProblem, connectionShape } from './binding';
import { separateNetworkProblem } from './ecs-network';
import { containerConsumerPath, containerHolder, containerOf } from './ecs-container';
import { consumerOptionProblems } from './options';

/** An ECS service (FargateService, Ec2Service, or the `service` of an aws-ecs-patterns construct) as a consumer. */
export function bindEcsService(service: ecs.BaseService, options: EcsServiceConsumerOptions): ConsumerBinding {
  if (!(service instanceof ecs.BaseService) || !(service.node.defaultChild instanceof ecs.CfnService)) {
    throw new ConsumerProblem(`'${pathOf(service)}' is not an ECS service defined in this app (FargateService, Ec2Service, or the service of an aws-ecs-patterns construct); `
      + 'an imported service\'s deployment is not in the app, so register the service where it is defined.');
  }
  const problems = consumerOptionProblems(options, 'EcsServiceConsumerOptions', [
    ['processesPerTask', options.processesPerTask, 1, MAX_COUNT],
    ['maxTasks', options.maxTasks, 1, ECS_MAX_TASKS_PER_SERVICE],
  ]);
  if (problems.length > 0) {
    throw new ConsumerProblem(`invalid options:\n- ${problems.join('\n- ')}`);
  }
  const separate = separateNetworkProblem(service.taskDefinition);
  if (separate) {
    throw new ConsumerProblem(separate);
  }
  if (service.connections.securityGroups.length === 0) {
    throw new ConsumerProblem('the service has no security group of its own (an EXTERNAL deployment controller keeps the network configuration '
      + 'on its task sets), so the budget can neither grant it ingress nor tell its connections from other clients\'; give the service securityGroups.');
  }
  const container = containerOf(service.taskDefinition, options.containerName);
  const cfn = service.node.defaultChild;
  return {
    path: containerConsumerPath(service.node.path, service.taskDefinition, container),
    resourcePath: service.node.path,
    kind: 'ecs-service',
    options,
    connections: connectionShape(options, options.processesPerTask),
    securityGroups: service.connections.securityGroups,
    holder: containerHolder(container),
    grantee: service.taskDefinition.taskRole,
    resource: cfn,
    container: container.containerName,
    bounds: { maxTasks: options.maxTasks },
    stack: Stack.of(service.taskDefinition),
    gather: (index) => gatherEcsServiceFacts(service, options.maxTasks, index),
  };
}
