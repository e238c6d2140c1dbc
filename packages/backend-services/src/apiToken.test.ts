import { ConfigReader } from '@backstage/config';
import { optionalStaticTokenHandler as handler } from './apiToken';

const init = (options: object) =>
  handler.initialize({ options: new ConfigReader(options) });

describe('optionalStaticTokenHandler', () => {
  it('accepts exactly the configured token', async () => {
    const ctx = init({ token: 'a-long-enough-token-123', subject: 'pipeline' });
    await expect(handler.verifyToken('a-long-enough-token-123', ctx)).resolves.toEqual({
      subject: 'pipeline',
    });
    await expect(handler.verifyToken('a-long-enough-token-124', ctx)).resolves.toBeUndefined();
    await expect(handler.verifyToken('short', ctx)).resolves.toBeUndefined();
  });

  it('accepts no token at all when the token is unset', async () => {
    const ctx = init({ subject: 'pipeline' });
    await expect(handler.verifyToken('', ctx)).resolves.toBeUndefined();
    await expect(handler.verifyToken('anything-at-all-here', ctx)).resolves.toBeUndefined();
  });

  it('refuses a weak token at start-up with a clear error', () => {
    expect(() => init({ token: 'short', subject: 'pipeline' })).toThrow(
      /PORTAL_API_TOKEN.*at least 16/,
    );
    expect(() => init({ token: 'has a space in it, long', subject: 'pipeline' })).toThrow(
      /non-space/,
    );
  });
});
