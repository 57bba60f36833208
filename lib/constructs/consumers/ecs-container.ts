import { aws_ecs as ecs } from 'aws-cdk-lib';
import { ConsumerProblem, EnvironmentHolder } from './binding';

/** The container that receives the pool settings: the named one, or the task definition's default container. */
export function containerOf(taskDefinition: ecs.TaskDefinition, containerName: string | undefined): ecs.ContainerDefinition {
  if (containerName !== undefined) {
    const named = taskDefinition.findContainer(containerName);
    if (!named) {
      const names = taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition).map((c) => `'${c.containerName}'`);
      throw new ConsumerProblem(`the task definition '${taskDefinition.node.path}' has no container named '${containerName}'${names.length > 0 ? `; its containers are ${names.join(', ')}` : ''}.`);
    }
    return named;
  }
  if (!taskDefinition.defaultContainer) {
    throw new ConsumerProblem(`the task definition '${taskDefinition.node.path}' has no container yet; add its containers before registering, or pass containerName.`);
  }
  return taskDefinition.defaultContainer;
}

/** The consumer's path: the resource's own for its task definition's default container, `<path>[<container>]` for another. */
export function containerConsumerPath(resourcePath: string, taskDefinition: ecs.TaskDefinition, container: ecs.ContainerDefinition): string {
  return container === taskDefinition.defaultContainer ? resourcePath : `${resourcePath}[${container.containerName}]`;
}

/** A container as the receiver of a consumer's variables. */
export function containerHolder(container: ecs.ContainerDefinition): EnvironmentHolder {
  return {
    key: container,
    description: `container '${container.containerName}' of '${container.taskDefinition.node.path}'`,
    existingNames: () => {
      // Names only: resolving the values could run another budget's pool settings before its time.
      const rendered = container.renderContainerDefinition();
      const entries = [...listOf(rendered.environment), ...listOf(rendered.secrets)];
      return new Set(entries.map((e) => (e as { name?: unknown }).name).filter((n): n is string => typeof n === 'string'));
    },
    add: (name, value) => container.addEnvironment(name, value),
  };
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
