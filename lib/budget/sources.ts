/**
 * Public sources behind every number in the budget core. Constants and tables cite these by key,
 * so a reviewer can check a value against the page it came from.
 */
export const SOURCES = {
  rdsMaxConnections:
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections',
  rdsMaxConnectionsKnowledgeCenter: 'https://repost.aws/knowledge-center/rds-mysql-max-connections',
  rdsPostgresReservedSlots: 'https://repost.aws/knowledge-center/rds-postgresql-error-connection-slots',
  rdsParameterFormulas: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ParamValuesRef.html',
  rdsInstanceClassHardware:
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html',
  communityMeasuredPostgres: 'https://gist.github.com/guizmaii/1cacffef793c2ba9645083c3e18b3d8c',
  communityMeasuredMicro: 'https://github.com/guardian/typerighter/pull/480',
  auroraMysqlMaxConnections:
    'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html',
  auroraPostgresMaxConnections:
    'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Managing.html',
  auroraServerlessV2Capacity:
    'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html',
  auroraServerlessV2ScalingConfiguration:
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2ScalingConfiguration.html',
  rdsProxyConnections: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html',
  rdsProxyPoolConfiguration:
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ConnectionPoolConfiguration.html',
  rdsProxyManaging: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-managing.html',
  ecsDeploymentConfiguration:
    'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html',
  ecsBlueGreen: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html',
  ecsLinear: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-linear.html',
  cdkBaseService:
    'https://github.com/aws/aws-cdk/blob/main/packages/aws-cdk-lib/aws-ecs/lib/base/base-service.ts',
  cloudFormationParallelUpdates:
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html',
  /** The default mode waits for each resource to stabilize; express mode does not (dependency order kept). */
  cloudFormationExpressMode: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-express-mode.html',
  /** A CODE_DEPLOY or EXTERNAL controller deploys outside CloudFormation. */
  ecsDeploymentController:
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-ecs-service-deploymentcontroller.html',
  /** "A Stage consists of one or more Stacks, which will be deployed in dependency order." */
  cdkPipelinesStackOrder: 'https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.pipelines.StageDeployment.html',
  hikariPoolSizing: 'https://github.com/brettwooldridge/HikariCP/wiki/About-Pool-Sizing',
  hikariReadme: 'https://github.com/brettwooldridge/HikariCP#gear-configuration-knobs-baby',
  springRelaxedBinding:
    'https://docs.spring.io/spring-boot/reference/features/external-config.html#features.external-config.typesafe-configuration-properties.relaxed-binding.environment-variables',
  sqlalchemyCreateEngine: 'https://docs.sqlalchemy.org/en/20/core/engines.html#sqlalchemy.create_engine',
  railsDatabaseYml: 'https://github.com/rails/rails/blob/main/railties/lib/rails/generators/rails/app/templates/config/databases/postgresql.yml.tt',
  nodePostgresPool: 'https://node-postgres.com/apis/pool',
  pgxpoolParseConfig: 'https://pkg.go.dev/github.com/jackc/pgx/v5/pgxpool#ParseConfig',
  postgresDefaultDatabase: 'https://www.postgresql.org/docs/current/app-initdb.html (initdb creates the postgres database)',
  libpqEnvironment: 'https://www.postgresql.org/docs/current/libpq-envars.html (read by node-postgres and pgx as well)',
  railsDatabaseUrl: 'https://guides.rubyonrails.org/configuring.html#connection-preference',
  npgsqlConnectionString: 'https://www.npgsql.org/doc/connection-string-parameters.html',
  prismaConnectionPool: 'https://www.prisma.io/docs/v6/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool',
  lambdaReservedConcurrency: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html',
  postgresClientTimeouts: 'https://www.postgresql.org/docs/current/runtime-config-client.html',
  rdsPostgresSsl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html',
  rdsMysqlSsl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.html',
  rdsPostgresForceSslDefault: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/ssl-certificate-rotation-postgresql.html '
    + '(rds.force_ssl is 0 before PostgreSQL 15, 1 from 15)',
  rdsMysqlRequireSsl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html',
  rdsMariadbRequireSsl: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mariadb-ssl-connections.require-ssl.html',
  auroraPostgresSsl: 'https://repost.aws/knowledge-center/aurora-postgresql-ssl-certificates (rds.force_ssl is 0 by default)',
  cfnDbProxy: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-rds-dbproxy.html (RequireTLS: optional Boolean)',
  cdkDatabaseProxy: 'https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_rds.DatabaseProxyOptions.html (requireTLS, default true)',
  rdsStorage: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html',
  eventBridgeEcsParameters: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-events-rule-ecsparameters.html',
  rdsStaticParameters: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Modifying.html',
  postgresMaxConnections: 'https://postgresqlco.nf/doc/en/param/max_connections',
  postgresReservedConnections: 'https://www.postgresql.org/docs/current/runtime-config-connection.html',
  mysqlMaxConnections: 'https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_max_connections',
  mariadbMaxConnections: 'https://mariadb.com/docs/server/ref/mdb/system-variables/max_connections',
  mysqlMaxUserConnections: 'https://dev.mysql.com/doc/refman/8.0/en/user-resources.html',
  postgresIdentifiers: 'https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS',
  postgresRoleConnectionLimit: 'https://www.postgresql.org/docs/current/sql-createrole.html (CONNECTION LIMIT; -1 means none, superusers exempt)',
  postgresScramVerifier: 'https://www.postgresql.org/docs/current/catalog-pg-authid.html (rolpassword SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>; RFC 5802, RFC 7677)',
  mysqlUserNames: 'https://dev.mysql.com/doc/refman/8.0/en/user-names.html (up to 32 characters; MariaDB 80)',
  rdsProxyQuotas: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html#rds-proxy.limitations (200 secrets per proxy)',
  lambdaRdsCertificates: 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html (NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem loads the RDS certificates)',
  secretsManagerHostedRotation: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_turn-on-for-db.html (single user: the function logs in as the user)',
  ecsServiceQuotas: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html',
  lambdaReservedVariables: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime',
  auroraReplicas: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Replication.html',
  rdsDataApiLimits: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html',
  ecsServiceDesiredCount: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html#cfn-ecs-service-desiredcount',
  rdsCreateDbInstancePort: 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (Port: default 3306 for MariaDB and MySQL, 5432 for PostgreSQL)',
  rdsCreateDbClusterPort: 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html (Port: default 3306 for MySQL and Aurora MySQL, 5432 for PostgreSQL and Aurora PostgreSQL)',
  ecsContainerMetadata: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4.html',
} as const;
