module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // Playwright tests (run by the root playwright.config.ts), not Jest.
      files: ['e2e-tests/**', 'container-tests/**'],
      rules: {
        'jest/no-standalone-expect': 'off',
        'jest/expect-expect': 'off',
        '@backstage/no-relative-monorepo-imports': 'off',
      },
    },
  ],
});
