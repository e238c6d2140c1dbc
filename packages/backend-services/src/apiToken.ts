import { timingSafeEqual } from 'node:crypto';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  createExternalTokenHandler,
  externalTokenHandlersServiceRef,
} from '@backstage/backend-defaults/auth';

const MIN_TOKEN_LENGTH = 16;

interface OptionalStaticTokenContext {
  token?: Buffer;
  subject: string;
}

/**
 * External access type `optional-static`: like Backstage's `static`, but an
 * absent token (e.g. `token: ${PORTAL_API_TOKEN}` with the variable unset)
 * disables the entry instead of failing start-up. Then no token is accepted.
 *
 *   backend.auth.externalAccess:
 *     - type: optional-static
 *       options: { token: ${PORTAL_API_TOKEN}, subject: portal-api-token }
 */
export const optionalStaticTokenHandler =
  createExternalTokenHandler<OptionalStaticTokenContext>({
    type: 'optional-static',
    initialize({ options }) {
      const subject = options.getString('subject');
      if (!/^\S+$/.test(subject)) {
        throw new Error(
          `Illegal subject '${subject}' in external access of type optional-static: it must be a set of non-space characters`,
        );
      }
      const token = options.getOptionalString('token');
      if (token === undefined || token === '') {
        return { subject };
      }
      if (!/^\S+$/.test(token) || token.length < MIN_TOKEN_LENGTH) {
        throw new Error(
          `Illegal token for external access subject '${subject}' (PORTAL_API_TOKEN): it must be at least ${MIN_TOKEN_LENGTH} non-space characters`,
        );
      }
      return { subject, token: Buffer.from(token) };
    },
    async verifyToken(token, ctx) {
      if (!ctx.token) {
        return undefined;
      }
      const given = Buffer.from(token);
      if (given.length !== ctx.token.length) {
        return undefined;
      }
      return timingSafeEqual(given, ctx.token)
        ? { subject: ctx.subject }
        : undefined;
    },
  });

/** Registers {@link optionalStaticTokenHandler} with the auth service. */
export const optionalStaticTokenHandlerFactory = createServiceFactory({
  service: externalTokenHandlersServiceRef,
  deps: {},
  factory: () => optionalStaticTokenHandler,
});
