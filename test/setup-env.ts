// CDK's own CloudFormation linter (a WASM engine) starts in every test process that synthesizes, taking seconds
// each; it checks CloudFormation, not this library. The end-to-end tests run the real cdk CLI with it on.
process.env.CDK_VALIDATION = 'false';
