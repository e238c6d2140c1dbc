// A local Secret Manager for tests and local development: a gRPC server for
// google.cloud.secretmanager.v1.SecretManagerService, loaded from the protos
// that @google-cloud/secret-manager itself ships, so the real client talks to
// it over its own wire protocol. It serves AccessSecretVersion (what the
// portal calls) and GetSecretVersion with Secret Manager's resource names,
// status codes and messages: NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION
// for a disabled version, UNAUTHENTICATED without a valid token.
//
// Two ways to reach it:
// - plaintext (default): SECRET_MANAGER_EMULATOR_HOST=127.0.0.1:<port>; no
//   credentials are sent or checked (as with Google's other emulators);
// - `tls: true, auth: {...}`: TLS with a throwaway certificate (trust it with
//   GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=<fake.caFile>), plus a GCE metadata
//   server (GCE_METADATA_HOST=<fake.metadataHost>) whose short-lived tokens
//   every call must carry: the path Cloud Run takes, Application Default
//   Credentials included. Point the client at it with
//   PORTAL_SECRET_MANAGER_ENDPOINT=localhost:<port>.
//
// Test control: `set` adds a version (rotation), `disable` disables one,
// `deny` refuses a secret to the caller, `calls` records the requests.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { execFileSync } = require('node:child_process');
const grpc = require('@grpc/grpc-js');
const { CRC32C } = require('@google-cloud/storage');
const protoLoader = require('@grpc/proto-loader');
const { createMetadataServer, PROJECT } = require('./gce-metadata-fake');

const SERVICE = 'google.cloud.secretmanager.v1.SecretManagerService';

/** The protos @google-cloud/secret-manager ships (and google-gax's commons). */
function loadService() {
  const client = path.dirname(
    require.resolve('@google-cloud/secret-manager/package.json', {
      paths: [path.join(__dirname, '../../packages/backend-services')],
    }),
  );
  const gaxMain = require.resolve('google-gax', { paths: [client] });
  const gax = gaxMain.slice(
    0,
    gaxMain.lastIndexOf(`${path.sep}google-gax${path.sep}`) +
      `${path.sep}google-gax`.length,
  );
  const definition = protoLoader.loadSync(
    'google/cloud/secretmanager/v1/service.proto',
    {
      includeDirs: [
        path.join(client, 'build/protos'),
        path.join(gax, 'build/protos'),
      ],
      keepCase: false,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    },
  );
  return grpc.loadPackageDefinition(definition).google.cloud.secretmanager.v1
    .SecretManagerService.service;
}

/** A self-signed certificate for localhost and 127.0.0.1, in a temp dir. */
function makeCertificate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sm-fake-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { stdio: 'ignore' },
  );
  return {
    dir,
    key: fs.readFileSync(key),
    cert: fs.readFileSync(cert),
    caFile: cert,
  };
}

/** Secret Manager's CRC32C (Castagnoli), as an int64 string. */
function crc32c(buffer) {
  const crc = new CRC32C();
  crc.update(buffer);
  return String(crc.valueOf() >>> 0);
}

const NAME = /^projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/]+)$/;

/**
 * @param {{
 *   port?: number,
 *   tls?: boolean,
 *   auth?: { tokenLifetimeSeconds: number, advertisedLifetimeSeconds?: number },
 *   secrets?: Record<string, string>,
 * }} options `secrets`: "<project>/<secret>" -> first version's value.
 */
async function startSecretManagerFake({
  port = 0,
  tls = false,
  auth,
  secrets = {},
} = {}) {
  if (auth && !tls) {
    throw new Error('auth needs tls: gRPC sends no credentials in plaintext');
  }
  // "<project>/<secret>" -> { versions: [{ data, state }], denied }
  const store = new Map();
  const entry = key => {
    if (!store.has(key)) store.set(key, { versions: [], denied: false });
    return store.get(key);
  };
  const metadata = auth && createMetadataServer(auth);
  const fake = {
    endpoint: '',
    port: 0,
    caFile: undefined,
    metadataHost: undefined,
    project: PROJECT,
    /** Every call: method, resource name, whether it carried a valid token. */
    calls: [],
    /** Adds a version (the new `latest`); returns its number. */
    set(key, value) {
      const secret = entry(key);
      secret.versions.push({ data: Buffer.from(value), state: 'ENABLED' });
      return secret.versions.length;
    },
    /** Disables a version (default: the latest). */
    disable(key, version) {
      const secret = entry(key);
      secret.versions[(version ?? secret.versions.length) - 1].state =
        'DISABLED';
    },
    /** The caller lacks secretmanager.versions.access on the secret. */
    deny(key, denied = true) {
      entry(key).denied = denied;
    },
    /** Removes the secret with all its versions. */
    remove(key) {
      store.delete(key);
    },
    accessCount(key) {
      return fake.calls.filter(
        c => c.method === 'AccessSecretVersion' && c.key === key,
      ).length;
    },
    async close() {},
  };
  for (const [key, value] of Object.entries(secrets)) fake.set(key, value);

  function lookup(call) {
    const name = call.request.name ?? '';
    const match = NAME.exec(name);
    const [, project, secretId, version] = match ?? [];
    const key = match && `${project}/${secretId}`;
    const authorization = call.metadata.get('authorization')[0];
    const authorized = metadata
      ? metadata.authorized(String(authorization ?? ''))
      : undefined;
    fake.calls.push({
      method: call.getPath().split('/').pop(),
      name,
      key,
      authorized,
    });
    const fail = (code, details) => ({ error: { code, details } });
    if (metadata && !authorized) {
      return fail(
        grpc.status.UNAUTHENTICATED,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    if (!match) {
      return fail(
        grpc.status.INVALID_ARGUMENT,
        `Invalid resource field value in the request.`,
      );
    }
    const secret = store.get(key);
    if (!secret || secret.denied) {
      // Secret Manager answers a missing secret the caller may not see the
      // same way as a denied one only when it lacks the permission.
      if (secret?.denied) {
        return fail(
          grpc.status.PERMISSION_DENIED,
          `Permission 'secretmanager.versions.access' denied for resource '${name}' (or it may not exist).`,
        );
      }
      return fail(
        grpc.status.NOT_FOUND,
        `Secret [projects/${PROJECT.number}/secrets/${secretId}] not found or has no versions.`,
      );
    }
    const enabled = secret.versions
      .map((v, i) => ({ ...v, number: i + 1 }))
      .filter(v => v.state === 'ENABLED');
    let chosen;
    if (version === 'latest') {
      chosen = enabled[enabled.length - 1];
      if (!chosen) {
        return fail(
          grpc.status.NOT_FOUND,
          `Secret [projects/${PROJECT.number}/secrets/${secretId}] not found or has no versions.`,
        );
      }
    } else {
      const number = /^\d+$/.test(version) ? Number(version) : NaN;
      const v = secret.versions[number - 1];
      if (!v) {
        return fail(
          grpc.status.NOT_FOUND,
          `Secret Version [projects/${PROJECT.number}/secrets/${secretId}/versions/${version}] not found.`,
        );
      }
      if (v.state !== 'ENABLED') {
        return fail(
          grpc.status.FAILED_PRECONDITION,
          `Secret Version [projects/${PROJECT.number}/secrets/${secretId}/versions/${number}] is in DISABLED state.`,
        );
      }
      chosen = { ...v, number };
    }
    return {
      name: `projects/${PROJECT.number}/secrets/${secretId}/versions/${chosen.number}`,
      version: chosen,
    };
  }

  const server = new grpc.Server();
  server.addService(loadService(), {
    accessSecretVersion(call, callback) {
      const found = lookup(call);
      if (found.error) return callback(found.error);
      return callback(null, {
        name: found.name,
        payload: {
          data: found.version.data,
          dataCrc32c: crc32c(found.version.data),
        },
      });
    },
    getSecretVersion(call, callback) {
      const found = lookup(call);
      if (found.error) return callback(found.error);
      return callback(null, {
        name: found.name,
        state: found.version.state,
      });
    },
  });
  let credentials = grpc.ServerCredentials.createInsecure();
  let certificate;
  if (tls) {
    certificate = makeCertificate();
    credentials = grpc.ServerCredentials.createSsl(null, [
      { private_key: certificate.key, cert_chain: certificate.cert },
    ]);
    fake.caFile = certificate.caFile;
  }
  fake.port = await new Promise((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  fake.endpoint = `${tls ? 'localhost' : '127.0.0.1'}:${fake.port}`;

  let metadataHttp;
  if (metadata) {
    metadataHttp = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      if (metadata.matches(url.pathname)) return metadata.handle(req, res, url);
      res.writeHead(404);
      return res.end();
    });
    await new Promise(resolve => metadataHttp.listen(0, '127.0.0.1', resolve));
    fake.metadataHost = `127.0.0.1:${metadataHttp.address().port}`;
    fake.tokensIssued = metadata.tokensIssued;
  }

  fake.close = async () => {
    server.forceShutdown();
    if (metadataHttp) {
      metadataHttp.closeAllConnections();
      await new Promise(resolve => metadataHttp.close(resolve));
    }
    if (certificate)
      fs.rmSync(certificate.dir, { recursive: true, force: true });
  };
  return fake;
}

module.exports = { startSecretManagerFake, SERVICE };
