import { Entity } from '@backstage/catalog-model';

/** Longest address SMTP allows (RFC 5321: 254 characters, local part 64). */
const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
/**
 * A plain address: one `@`; the local part letters, digits and `. _ % + -`;
 * the domain dot-separated labels of letters, digits and inner hyphens. This
 * leaves out everything that means something to the catalog's filters
 * (`,` `=`), quotes, whitespace, control characters and `/ :` (entity
 * references), at the price of refusing exotic (quoted or non-ASCII)
 * addresses.
 */
const EMAIL =
  /^[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/**
 * Whether an e-mail from Okta is a plain address the portal may look up in
 * the catalog. The catalog client joins filters with commas and splits them at
 * `=`, so an address with either could query something else.
 */
export function isPlainEmail(email: string): boolean {
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) return false;
  const local = email.slice(0, email.indexOf('@'));
  return (
    local.length <= MAX_LOCAL_PART_LENGTH &&
    !local.startsWith('.') &&
    !local.endsWith('.') &&
    !local.includes('..')
  );
}

/** `text` when it is harmless to show (an Okta user id), else a placeholder. */
export function printable(text: string | undefined): string {
  return text && /^[A-Za-z0-9._@+-]{1,100}$/.test(text) ? text : 'unknown';
}

const lower = (value: unknown) =>
  typeof value === 'string' ? value.toLocaleLowerCase('en-US') : undefined;

/**
 * Whether the User the catalog returned for a matcher really carries the
 * e-mail as a value (compared case-insensitively, as the catalog does):
 * `spec.profile.email` for profileEmail, the `okta.com/email` annotation for
 * oktaEmailAnnotation, the name for emailLocalPart. A second check that does
 * not depend on how the catalog parsed the query.
 */
export function entityHasEmail(
  entity: Entity,
  matcher: 'profileEmail' | 'oktaEmailAnnotation' | 'emailLocalPart',
  email: string,
): boolean {
  const wanted = email.toLocaleLowerCase('en-US');
  if (entity.kind.toLocaleLowerCase('en-US') !== 'user') return false;
  switch (matcher) {
    case 'profileEmail':
      return lower((entity.spec?.profile as any)?.email) === wanted;
    case 'oktaEmailAnnotation':
      return lower(entity.metadata.annotations?.['okta.com/email']) === wanted;
    case 'emailLocalPart':
      return (
        lower(entity.metadata.name) === wanted.slice(0, wanted.indexOf('@'))
      );
    default:
      return false;
  }
}
