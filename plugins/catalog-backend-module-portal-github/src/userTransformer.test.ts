import { ConfigReader } from '@backstage/config';
import {
  createPortalUserTransformer,
  pickUserEmail,
  readPortalGithubUserOptions,
} from './userTransformer';

const ada = {
  login: 'ada',
  id: 'U_1',
  name: 'Ada Lovelace',
  avatarUrl: 'https://avatars.example/ada.png',
};

describe('pickUserEmail', () => {
  it('prefers the explicit mapping over what GitHub reports', () => {
    expect(
      pickUserEmail(
        { ...ada, organizationVerifiedDomainEmails: ['ada@acme.com'] },
        { emails: { ada: 'ada.lovelace@acme.com' } },
      ),
    ).toEqual({ email: 'ada.lovelace@acme.com', source: 'configured' });
  });

  it('uses a verified-domain address, without +tags, in the configured domains first', () => {
    expect(
      pickUserEmail(
        {
          ...ada,
          organizationVerifiedDomainEmails: [
            'ada@acme-labs.io',
            'ada+gh@acme.com',
          ],
          email: 'ada@acme.com',
        },
        { emailDomains: ['ACME.com'] },
      ),
    ).toEqual({ email: 'ada@acme.com', source: 'verified-domain' });
    expect(
      pickUserEmail({
        ...ada,
        organizationVerifiedDomainEmails: ['ada@acme-labs.io'],
      }),
    ).toEqual({ email: 'ada@acme-labs.io', source: 'verified-domain' });
  });

  it('falls back to the public address only within the domains', () => {
    expect(
      pickUserEmail(
        { ...ada, email: 'ada@acme.com' },
        { emailDomains: ['acme.com'] },
      ),
    ).toEqual({ email: 'ada@acme.com', source: 'public-profile' });
    expect(
      pickUserEmail(
        { ...ada, email: 'ada@gmail.com' },
        { emailDomains: ['acme.com'] },
      ),
    ).toBeUndefined();
    expect(pickUserEmail({ ...ada, email: '' })).toBeUndefined();
  });
});

describe('readPortalGithubUserOptions', () => {
  it('reads the mapping and defaults the domains to the Okta ones', () => {
    const options = readPortalGithubUserOptions(
      new ConfigReader({
        portal: {
          github: { userEmails: { ada: 'ada@acme.com' } },
          okta: { allowedDomains: ['acme.com'] },
        },
      }),
    );
    expect(options).toEqual({
      emails: { ada: 'ada@acme.com' },
      emailDomains: ['acme.com'],
    });
  });

  it('names a mapping entry that is not an e-mail address', () => {
    expect(() =>
      readPortalGithubUserOptions(
        new ConfigReader({
          portal: { github: { userEmails: { ada: 'ada' } } },
        }),
      ),
    ).toThrow(
      "portal.github.userEmails.ada must be an e-mail address, got 'ada'",
    );
  });
});

describe('createPortalUserTransformer', () => {
  it('builds the upstream User with the picked e-mail', async () => {
    const transform = createPortalUserTransformer({
      emailDomains: ['acme.com'],
    });
    const entity = await transform(
      {
        ...ada,
        organizationVerifiedDomainEmails: ['ada@acme.com'],
        email: 'x@gmail.com',
      },
      { org: 'acme', client: jest.fn() as any, query: '' },
    );
    expect(entity).toMatchObject({
      kind: 'User',
      metadata: {
        name: 'ada',
        annotations: { 'github.com/user-login': 'ada' },
      },
      spec: {
        profile: {
          displayName: 'Ada Lovelace',
          email: 'ada@acme.com',
          picture: 'https://avatars.example/ada.png',
        },
      },
    });
  });

  it('leaves the e-mail out rather than using an address outside the domains', async () => {
    const transform = createPortalUserTransformer({
      emailDomains: ['acme.com'],
    });
    const entity = await transform(
      { ...ada, email: 'ada@gmail.com', organizationVerifiedDomainEmails: [] },
      { org: 'acme', client: jest.fn() as any, query: '' },
    );
    expect((entity?.spec as any).profile.email).toBeUndefined();
  });

  it('asks GitHub for verified e-mails when an event gave the user without them', async () => {
    const transform = createPortalUserTransformer({});
    const client = jest.fn().mockResolvedValue({
      user: { organizationVerifiedDomainEmails: ['ada@acme.com'] },
    });
    const entity = await transform(
      { login: 'ada', name: 'Ada' },
      { org: 'acme', client: client as any, query: '' },
    );
    expect(client).toHaveBeenCalledWith(
      expect.stringContaining('organizationVerifiedDomainEmails(login: $org)'),
      { login: 'ada', org: 'acme' },
    );
    expect((entity?.spec as any).profile.email).toBe('ada@acme.com');
  });

  it('keeps a public profile e-mail that an event did not carry', async () => {
    const transform = createPortalUserTransformer({
      emailDomains: ['acme.com'],
    });
    const client = jest.fn().mockResolvedValue({
      user: { email: 'ada@acme.com', organizationVerifiedDomainEmails: [] },
    });
    const entity = await transform(
      { login: 'ada', name: 'Ada', email: undefined },
      { org: 'acme', client: client as any, query: '' },
    );
    expect(client.mock.calls[0][0]).toMatch(/\bemail\b/);
    expect((entity?.spec as any).profile.email).toBe('ada@acme.com');
  });

  it('lets a failed lookup fail the event rather than store a User without e-mail', async () => {
    const transform = createPortalUserTransformer({});
    const client = jest.fn().mockRejectedValue(new Error('HTTP 502'));
    await expect(
      transform(
        { login: 'ada' },
        { org: 'acme', client: client as any, query: '' },
      ),
    ).rejects.toThrow('HTTP 502');
  });

  it('does not ask when the sync already brought the e-mails', async () => {
    const transform = createPortalUserTransformer({});
    const client = jest.fn();
    await transform(
      { login: 'ada', organizationVerifiedDomainEmails: [] },
      { org: 'acme', client: client as any, query: '' },
    );
    expect(client).not.toHaveBeenCalled();
  });
});
