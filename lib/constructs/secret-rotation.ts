import { aws_ec2 as ec2, aws_secretsmanager as secretsmanager, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EngineKind, isPostgresEngine } from '../budget';

/** Secrets Manager's API, which the rotation functions and the user manager call from the VPC. */
export const HTTPS_PORT = 443;

/** Properties of {@link SecretRotation}. */
export interface SecretRotationProps {
  readonly engine: EngineKind;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly interval: Duration;
}

/**
 * Rotation of a database's secrets with Secrets Manager's hosted single-user rotation: the rotation function logs in as
 * the secret's own user to change its password (SOURCES.secretsManagerHostedRotation), so a consumer user's rotation
 * connects within that user's connection limit, and a user at its limit is rotated at the next try. Every rotation
 * function shares one security group, the database's client the budget counts.
 */
export class SecretRotation extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;
  private readonly props: SecretRotationProps;

  public constructor(scope: Construct, id: string, props: SecretRotationProps) {
    super(scope, id);
    this.props = props;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc, description: `Secret rotation of ${scope.node.path}`, allowAllOutbound: false,
    });
    // Secrets Manager over HTTPS; the database's port is opened by the budget's reservation for this group.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTPS_PORT), 'Secrets Manager');
  }

  /** Rotates `secret` (attached to its database, so it holds the host the function connects to) every interval. */
  public rotate(secret: secretsmanager.ISecret, id: string): secretsmanager.RotationSchedule {
    const options: secretsmanager.SingleUserHostedRotationOptions = {
      vpc: this.props.vpc, vpcSubnets: this.props.vpcSubnets, securityGroups: [this.securityGroup],
    };
    const { engine } = this.props;
    const hosted = isPostgresEngine(engine) ? secretsmanager.HostedRotation.postgreSqlSingleUser(options)
      : engine === 'rds-mariadb' ? secretsmanager.HostedRotation.mariaDbSingleUser(options)
        : secretsmanager.HostedRotation.mysqlSingleUser(options);
    return new secretsmanager.RotationSchedule(this, id, { secret, hostedRotation: hosted, automaticallyAfter: this.props.interval });
  }
}
