// CDK's own CloudFormation linter (a WASM engine) starts in every test process that synthesizes, taking seconds
// each; it checks CloudFormation, not this library. The end-to-end tests run the real cdk CLI with it on.
process.env.CDK_VALIDATION = 'false';

// Lambda bundling (the deploy-time guards' functions, the example's function) runs esbuild in every synth: skip it in
// process, where no test reads a bundle. The end-to-end tests run the real cdk CLI, which bundles with the local esbuild.
process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:bundling-stacks': [] });
