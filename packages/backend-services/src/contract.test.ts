import {
  createContractSubstitution,
  deploymentContract,
  MissingEnvironmentError,
} from './contract';

describe('createContractSubstitution', () => {
  it('returns set values trimmed and ignores missing optional variables', async () => {
    const { substitute, check } = createContractSubstitution({
      APP_BASE_URL: ' https://portal.example.com ',
    });
    await expect(substitute('APP_BASE_URL')).resolves.toBe(
      'https://portal.example.com',
    );
    await expect(substitute('PORT')).resolves.toBeUndefined();
    await expect(substitute('PORTAL_API_TOKEN')).resolves.toBeUndefined();
    expect(() => check()).not.toThrow();
  });

  it('names every referenced required variable that is missing or empty', async () => {
    const { substitute, check } = createContractSubstitution({
      POSTGRES_USER: '  ',
    });
    await substitute('POSTGRES_PASSWORD');
    await substitute('POSTGRES_USER');
    await substitute('APP_BASE_URL');
    let error: unknown;
    try {
      check();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingEnvironmentError);
    expect((error as MissingEnvironmentError).variables).toEqual([
      'APP_BASE_URL',
      'POSTGRES_PASSWORD',
      'POSTGRES_USER',
    ]);
    expect((error as Error).message).toContain(
      'APP_BASE_URL: public URL of the portal',
    );
  });

  it('does not complain about required variables nothing references', () => {
    const { check } = createContractSubstitution({});
    expect(() => check()).not.toThrow();
  });
});

describe('contract validation', () => {
  it('names a set variable whose value is unusable', async () => {
    const { substitute, check } = createContractSubstitution({
      PORTAL_API_TOKEN: 'short',
    });
    await substitute('PORTAL_API_TOKEN');
    expect(() => check()).toThrow(
      /Invalid environment variable PORTAL_API_TOKEN:\n {2}PORTAL_API_TOKEN must be at least 16 characters/,
    );
  });

  it('accepts a strong token', async () => {
    const { substitute, check } = createContractSubstitution({
      PORTAL_API_TOKEN: 'a-strong-token-0123456789',
    });
    await expect(substitute('PORTAL_API_TOKEN')).resolves.toBe(
      'a-strong-token-0123456789',
    );
    expect(() => check()).not.toThrow();
  });

  it('judges each read afresh: check reports what was found since the last check', async () => {
    const env: Record<string, string | undefined> = {};
    const { substitute, check } = createContractSubstitution(env);
    await substitute('APP_BASE_URL');
    expect(() => check()).toThrow(
      /Missing required environment variable APP_BASE_URL/,
    );
    // A file read again (watched in development) after the fix.
    env.APP_BASE_URL = 'https://portal.example.com';
    await substitute('APP_BASE_URL');
    expect(() => check()).not.toThrow();
  });
});

describe('Okta group variables', () => {
  it('OKTA_GROUP_PREFIX and OKTA_TEMPLATE_AUTHOR_GROUP are optional contract variables', async () => {
    const names = deploymentContract.map(v => v.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'OKTA_GROUP_PREFIX',
        'OKTA_TEMPLATE_AUTHOR_GROUP',
      ]),
    );
    const { substitute, check } = createContractSubstitution({
      OKTA_GROUP_PREFIX: 'portal-',
    });
    await expect(substitute('OKTA_GROUP_PREFIX')).resolves.toBe('portal-');
    await expect(
      substitute('OKTA_TEMPLATE_AUTHOR_GROUP'),
    ).resolves.toBeUndefined();
    expect(() => check()).not.toThrow();
  });
});
