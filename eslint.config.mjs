// Lint: typescript-eslint plus Nx module boundaries (see STYLE.md):
// the agent may import runtime, proto and shared libs; the console imports proto and shared,
// never the runtime; libs/runtime imports no NestJS, Prisma or rxjs.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'apps/console/web/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:runtime', onlyDependOnLibsWithTags: ['scope:runtime'] },
            { sourceTag: 'scope:proto', onlyDependOnLibsWithTags: ['scope:proto'] },
            { sourceTag: 'scope:agent', onlyDependOnLibsWithTags: ['scope:runtime', 'scope:proto', 'scope:shared'] },
            { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:proto', 'scope:shared'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:proto', 'scope:shared'] },
            { sourceTag: 'scope:node-cli', onlyDependOnLibsWithTags: ['scope:runtime'] },
            { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', '@prisma/*', 'rxjs', 'rxjs/*'], message: 'libs/runtime must not depend on NestJS, Prisma or rxjs' }] },
      ],
    },
  },
];
