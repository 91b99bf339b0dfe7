// Type-aware linting, zero warnings allowed (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      'logs/**',
      'reports/**',
      'bench/.work/**',
      // Compiled by test/openapi against the client it generates (strict tsc, own tsconfig).
      'test/openapi/client/**',
      // A separate app on the packed package (own package.json, tsconfig and node_modules),
      // compiled with strict tsc by its own build in .ci/consumer.
      'examples/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    // A feature's public API is its index.ts (docs/architecture.md): another feature's files are
    // out of reach. Sub-modules with an index of their own (audit/review, auth/throttle, the
    // testing fakes) are imported as folders; `cli/index` is spelled out because src/cli.ts
    // would shadow the folder. Inside a feature, `./` paths are its own and stay free.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(?:\\.\\./)+(?:audit|auth|cli|common|config|console|database|gatehouse|health|metrics|openapi|redis|testing|users)/(?!(?:index|review|review/detectors|throttle|throttle/testing|testing)$)',
              message: 'Import another feature through its index.ts (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // The application files at the root of src/ (main, app.module, cli) follow the same rule.
    files: ['src/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^\\./(?:audit|auth|cli|common|config|console|database|gatehouse|health|metrics|openapi|redis|testing|users)/(?!(?:index|review|review/detectors|throttle|throttle/testing|testing)$)',
              message: 'Import a feature through its index.ts (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The browser console: its own tsconfig (DOM, JSX for Preact).
    files: ['web/**/*.ts', 'web/**/*.tsx', 'web/**/*.mts'],
    languageOptions: {
      parserOptions: { project: './web/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'commonjs',
      // Repeats disableTypeChecked's parserOptions, which this languageOptions would otherwise replace.
      parserOptions: { project: false, projectService: false, program: null },
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
);
