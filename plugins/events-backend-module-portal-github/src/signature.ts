import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Whether `signatureHeader` (GitHub's `X-Hub-Signature-256`,
 * `sha256=<hex HMAC of the raw body>`) was made with one of `secrets`.
 * Compared in constant time; anything malformed is simply not valid.
 */
export function isValidGithubSignature(
  secrets: readonly string[],
  rawBody: Buffer,
  signatureHeader: string | string[] | undefined,
): boolean {
  if (typeof signatureHeader !== 'string') {
    return false;
  }
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signatureHeader.trim());
  if (!match) {
    return false;
  }
  const given = Buffer.from(match[1].toLowerCase(), 'hex');
  return secrets.some(secret => {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    return timingSafeEqual(expected, given);
  });
}
