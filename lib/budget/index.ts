// The pure budget core: no aws-cdk-lib or constructs import anywhere below this folder.
export * from './allocation';
export * from './capacity';
export * from './checks';
export * from './demand';
export * from './describe';
export * from './evaluate';
export * from './model';
export * from './pool-settings';
export * from './sources';
export * from './text';
export * from './data/instance-classes';
export * from './presets';
export * from './ledger';
export * from './diff';
export * from './guardrails';
export * from './monitoring';
export * from './rehearsal';
