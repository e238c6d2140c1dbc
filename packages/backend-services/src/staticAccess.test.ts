import { dropTokenlessStaticAccess } from './staticAccess';

describe('dropTokenlessStaticAccess', () => {
  it('drops static entries whose token is unset, keeps the rest', () => {
    const data = {
      app: { title: 'x' },
      backend: {
        baseUrl: 'http://x',
        auth: {
          externalAccess: [
            { type: 'static', options: { subject: 'portal-api-token' } },
            {
              type: 'static',
              options: { token: 'kept-token-123456', subject: 'ci' },
            },
            { type: 'jwks', options: { url: 'https://issuer/jwks' } },
          ],
        },
      },
    };
    const { data: out, dropped } = dropTokenlessStaticAccess(data);
    expect(dropped).toEqual(['portal-api-token']);
    expect((out.backend as any).auth.externalAccess).toEqual([
      {
        type: 'static',
        options: { token: 'kept-token-123456', subject: 'ci' },
      },
      { type: 'jwks', options: { url: 'https://issuer/jwks' } },
    ]);
    expect((out.backend as any).baseUrl).toBe('http://x');
    expect(out.app).toEqual({ title: 'x' });
  });

  it('returns the data untouched when nothing is dropped', () => {
    const data = { backend: { auth: { externalAccess: [] } } };
    expect(dropTokenlessStaticAccess(data)).toEqual({ data, dropped: [] });
    expect(dropTokenlessStaticAccess({})).toEqual({ data: {}, dropped: [] });
  });
});
