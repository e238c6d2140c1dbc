import {
  AuthService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import express, { NextFunction, Request, Response } from 'express';
import { AllowedUrlPrefix, checkLocationTarget } from './allowList';

/** The catalog routes that read a location a caller names. */
const LOCATIONS = /^\/locations\/?$/i;
const ANALYZE = /^\/analyze-location\/?$/i;
const VALIDATE = /^\/validate-entity\/?$/i;

type Route = 'locations' | 'analyze' | 'validate';

function routeOf(requestPath: string): Route | undefined {
  if (LOCATIONS.test(requestPath)) return 'locations';
  if (ANALYZE.test(requestPath)) return 'analyze';
  if (VALIDATE.test(requestPath)) return 'validate';
  return undefined;
}

const isObject = (value: unknown): value is Record<string, any> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Who sent the request, for the log line: the user's entity ref, the service, or nobody. */
async function callerOf(
  httpAuth: HttpAuthService,
  auth: AuthService | undefined,
  request: Request,
): Promise<string> {
  let credentials: BackstageCredentials;
  try {
    credentials = await httpAuth.credentials(request);
  } catch {
    return 'an unauthenticated caller';
  }
  if (auth?.isPrincipal(credentials, 'user')) {
    return `user ${credentials.principal.userEntityRef}`;
  }
  if (auth?.isPrincipal(credentials, 'service')) {
    return `service ${credentials.principal.subject}`;
  }
  return `a ${
    (credentials.principal as { type?: string })?.type ?? 'unknown'
  } principal`;
}

/**
 * Middleware for the catalog's router (a module's httpRouter.use runs before
 * the catalog's routes): `POST /locations` (also dry runs) and
 * `POST /analyze-location` only with a `url` target under an allowed
 * prefix, else 400 with what is allowed, one warning naming the caller and
 * the target, and nothing stored or read. `POST /validate-entity` refuses
 * Location entities and entities that set their own location annotations
 * (validating them would read what they name).
 */
export function createRegistrationGuard(options: {
  allowed: AllowedUrlPrefix[];
  httpAuth: HttpAuthService;
  auth?: AuthService;
  logger: LoggerService;
}) {
  // The catalog's own parser (express.json with its defaults) sees the body
  // as parsed and leaves it.
  const parseJson = express.json();

  const refuse = async (
    request: Request,
    next: NextFunction,
    what: string,
    reason: string,
  ) => {
    const caller = await callerOf(options.httpAuth, options.auth, request);
    options.logger.warn(
      `Refused ${request.method} /api/catalog${request.path} by ${caller}: ${what}: ${reason}`,
    );
    next(new InputError(`Location refused: ${reason}`));
  };

  return (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'POST') {
      next();
      return;
    }
    const route = routeOf(request.path);
    if (!route) {
      next();
      return;
    }
    parseJson(request, response, parseError => {
      if (parseError) {
        next(parseError);
        return;
      }
      // Fail closed: a body this parser left alone is never checked, so it
      // must not reach a parser further on (the catalog's answers 400 too).
      if (!(request as { _body?: boolean })._body) {
        next(
          new InputError(
            'Expected a JSON request body (Content-Type: application/json)',
          ),
        );
        return;
      }
      const body: unknown = request.body;
      // Malformed bodies are the catalog's to answer, as before.
      if (!isObject(body)) {
        next();
        return;
      }
      if (route === 'validate') {
        const entity = body.entity;
        const annotations = isObject(entity?.metadata?.annotations)
          ? entity.metadata.annotations
          : {};
        if (
          isObject(entity) &&
          typeof entity.kind === 'string' &&
          entity.kind.toLowerCase() === 'location'
        ) {
          refuse(
            request,
            next,
            'entity of kind Location',
            'Location entities cannot be validated through the API',
          ).catch(next);
          return;
        }
        if (
          ANNOTATION_LOCATION in annotations ||
          ANNOTATION_ORIGIN_LOCATION in annotations
        ) {
          refuse(
            request,
            next,
            'entity with its own location annotations',
            `the entity must not set ${ANNOTATION_LOCATION} or ${ANNOTATION_ORIGIN_LOCATION}`,
          ).catch(next);
          return;
        }
        next();
        return;
      }
      const location = route === 'locations' ? body : body.location;
      if (!isObject(location)) {
        next();
        return;
      }
      const check = checkLocationTarget(
        location.type,
        location.target,
        options.allowed,
      );
      if (check.ok) {
        next();
        return;
      }
      refuse(
        request,
        next,
        `${String(location.type)} location ${JSON.stringify(
          String(location.target),
        )}`,
        check.reason,
      ).catch(next);
    });
  };
}
