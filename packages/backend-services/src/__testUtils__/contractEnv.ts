/** The required contract variables with placeholder values, for tests that load app-config.production.yaml. */
export const placeholderContractEnv: Readonly<Record<string, string>> = {
  APP_BASE_URL: 'https://portal.example.com',
  POSTGRES_HOST: 'db',
  POSTGRES_USER: 'portal',
  POSTGRES_PASSWORD: 'pw',
  OKTA_CLIENT_ID: 'id',
  OKTA_CLIENT_SECRET: 'secret',
  OKTA_AUDIENCE: 'https://acme.okta.com',
  AUTH_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
};
