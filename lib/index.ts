// Public API: re-exports only. The budget core (lib/budget) stays internal: its types are not jsii-compatible.
export * from './constructs/connection-budget';
export * from './constructs/consumer-options';
export * from './constructs/database-target';
export * from './constructs/pool-size';
export * from './constructs/pool-settings-preset';
export * from './constructs/budgeted-database';
export * from './constructs/budgeted-consumer';
export * from './constructs/connection-allocation';
export * from './constructs/allocation-source';
export * from './pipelines/confirm-connection-budget-change';
export * from './monitoring/connection-budget-monitoring';
export * from './nag/connection-budget-checks';
