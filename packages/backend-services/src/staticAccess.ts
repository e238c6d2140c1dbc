import { JsonObject, JsonValue } from '@backstage/types';

/**
 * Backstage's `static` external access refuses to start without a token. The
 * production config declares one for `PORTAL_API_TOKEN`, which is optional:
 * when it is unset, the entry is dropped so that no static token is accepted.
 * Returns the config data without such entries and the subjects dropped.
 */
export function dropTokenlessStaticAccess(data: JsonObject): {
  data: JsonObject;
  dropped: string[];
} {
  const backend = data.backend as JsonObject | undefined;
  const auth = backend?.auth as JsonObject | undefined;
  const entries = auth?.externalAccess;
  if (!Array.isArray(entries)) {
    return { data, dropped: [] };
  }
  const dropped: string[] = [];
  const kept = entries.filter((entry: JsonValue) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      return true;
    const options = entry.options as JsonObject | undefined;
    if (entry.type === 'static' && options && options.token === undefined) {
      dropped.push(String(options.subject ?? '(no subject)'));
      return false;
    }
    return true;
  });
  if (dropped.length === 0) {
    return { data, dropped };
  }
  return {
    data: {
      ...data,
      backend: { ...backend, auth: { ...auth, externalAccess: kept } },
    },
    dropped,
  };
}
