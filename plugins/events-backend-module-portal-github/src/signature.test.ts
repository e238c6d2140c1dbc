import { createHmac } from 'node:crypto';
import { isValidGithubSignature } from './signature';

const body = Buffer.from('{"ref":"refs/heads/main"}');
const sign = (secret: string, data: Buffer = body) =>
  `sha256=${createHmac('sha256', secret).update(data).digest('hex')}`;

describe('isValidGithubSignature', () => {
  it('accepts the signature GitHub makes with the secret', () => {
    expect(isValidGithubSignature(['s3cret'], body, sign('s3cret'))).toBe(true);
  });

  it('accepts a signature made with any of several secrets (App and generic)', () => {
    expect(isValidGithubSignature(['a', 'b'], body, sign('b'))).toBe(true);
  });

  it('accepts upper-case hex', () => {
    expect(
      isValidGithubSignature(
        ['s3cret'],
        body,
        sign('s3cret').toUpperCase().replace('SHA256', 'sha256'),
      ),
    ).toBe(true);
  });

  it('rejects another secret, a changed body, a missing or malformed header', () => {
    expect(isValidGithubSignature(['s3cret'], body, sign('other'))).toBe(false);
    expect(
      isValidGithubSignature(
        ['s3cret'],
        Buffer.from('{"ref":"x"}'),
        sign('s3cret'),
      ),
    ).toBe(false);
    expect(isValidGithubSignature(['s3cret'], body, undefined)).toBe(false);
    expect(isValidGithubSignature(['s3cret'], body, 'sha256=abc')).toBe(false);
    expect(
      isValidGithubSignature(
        ['s3cret'],
        body,
        sign('s3cret').replace('sha256', 'sha1'),
      ),
    ).toBe(false);
    expect(isValidGithubSignature(['s3cret'], body, [sign('s3cret')])).toBe(
      false,
    );
  });

  it('rejects everything without secrets', () => {
    expect(isValidGithubSignature([], body, sign(''))).toBe(false);
  });
});
