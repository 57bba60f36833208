// Lint: eslint's and typescript-eslint's recommended rules on the library, the CLI, the example apps, the benches and the
// tests, with the few rules below.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'cdk.out/**', 'cdk.*.out/**', 'node_modules/**', 'coverage/**', 'test/.readme-examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The CLI's entry and jest's configuration are plain CommonJS that Node runs as they are.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests read synthesized templates and CLI JSON, whose shapes they assert on rather than type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // `${x}` in a plain string is almost always a template literal written with the wrong quotes.
      'no-template-curly-in-string': 'error',
      // An unused binding named with a leading underscore is deliberate (a destructured field left out).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
);
