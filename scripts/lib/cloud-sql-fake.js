// Cloud SQL for PostgreSQL as the Cloud SQL Node connector
// (@google-cloud/cloud-sql-connector) sees it, in front of a real local
// PostgreSQL:
//
// - the SQL Admin API (v1beta4) over HTTP: `connectSettings` (region, IP
//   addresses, server CA) and `generateEphemeralCert` (signs the client's
//   public key; with IAM database authentication the request carries the
//   caller's OAuth token), both only for a bearer token of ours;
// - the GCE metadata server that Application Default Credentials use on Cloud
//   Run, on the same port (GCE_METADATA_HOST=127.0.0.1:<port>;
//   gce-metadata-fake.js), issuing those tokens;
// - the instance's server-side proxy: TLS 1.3 on <ip>:3307 (the port the
//   connector always dials) that accepts only client certificates the Admin
//   API issued, and, as Cloud SQL's IAM authentication does, only the
//   PostgreSQL user that is the IAM database user of the service account
//   whose token the certificate was issued for (`<sa>@<project>.iam`); then
//   it pipes the connection to PostgreSQL.
//
// The connector takes the Admin API's address only as a constructor option
// (`sqlAdminAPIEndpoint`), so a caller that does not pass options (Backstage)
// must be given it by the test (see
// packages/backend/src/database/cloudSqlConnector.test.ts).
// Certificates come from the openssl command line.
'use strict';
const http = require('node:http');
const tls = require('node:tls');
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { createMetadataServer, SA_EMAIL } = require('./gce-metadata-fake');

const PROXY_PORT = 3307;

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a server certificate whose CN is `<project>:<instance>`, as Cloud SQL's. */
function makeCertificates(dir, project, instance) {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=Google Cloud SQL Server CA/O=Google, Inc',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      `/CN=${project}:${instance}/O=Google, Inc`,
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      'server.pem',
    ],
    dir,
  );
  const read = f => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    ca: read('ca.pem'),
    caKey: 'ca.key',
    key: read('server.key'),
    cert: read('server.pem'),
  };
}

/** Signs `publicKeyPem` (SPKI) with the CA: the ephemeral client certificate. */
function signClientKey(dir, publicKeyPem, subject) {
  const name = crypto.randomBytes(6).toString('hex');
  fs.writeFileSync(path.join(dir, `${name}.pub`), publicKeyPem);
  openssl(
    [
      'x509',
      '-new',
      '-subj',
      subject,
      '-force_pubkey',
      `${name}.pub`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-days',
      '1',
      '-out',
      `${name}.pem`,
    ],
    dir,
  );
  return fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8');
}

/** A PostgreSQL ErrorResponse message (FATAL). */
function pgError(code, message) {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

/** The parameters (user, database, ...) of a v3 StartupMessage, or undefined. */
function parseStartup(buffer) {
  if (buffer.length < 8) return undefined;
  const length = buffer.readInt32BE(0);
  if (buffer.length < length) return undefined;
  const params = {};
  const parts = buffer
    .subarray(8, length - 1)
    .toString('utf8')
    .split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) params[parts[i]] = parts[i + 1];
  return { length, params, protocol: buffer.readInt32BE(4) };
}

/**
 * Starts the fake.
 * @param {{
 *   instanceConnectionName: string,          // project:region:instance
 *   postgres: { host?: string, port: number, path?: string },
 *   ip?: string,                             // the instance's "public" IP (127.x.y.z)
 *   tokenLifetimeSeconds?: number,
 * }} options
 */
async function startCloudSqlFake(options) {
  const [project, region, instance] = options.instanceConnectionName.split(':');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-sql-fake-'));
  const certs = makeCertificates(dir, project, instance);
  const metadata = createMetadataServer({
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
  });
  /** Client certificate fingerprint -> the IAM database user it may log in as. */
  const issued = new Map();
  const sockets = new Set();
  const fake = {
    iamUser: SA_EMAIL.replace(/\.gserviceaccount\.com$/, ''),
    counts: {
      connectSettings: 0,
      ephemeralCerts: 0,
      connections: 0,
      refused: 0,
    },
    /** Admin API requests: `${method} ${path}`. */
    requests: [],
    /** Messages sent to refused connections. */
    refusals: [],
  };

  const json = (res, status, body) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
    });
    res.end(JSON.stringify(body));
  };
  const apiError = (res, status, message, reason) =>
    json(res, status, {
      error: {
        code: status,
        message,
        errors: [{ message, domain: 'global', reason }],
      },
    });

  const admin = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (metadata.matches(url.pathname)) return metadata.handle(req, res, url);
    fake.requests.push(`${req.method} ${url.pathname}`);
    if (!metadata.authorized(req.headers.authorization)) {
      return apiError(
        res,
        401,
        'Request had invalid authentication credentials.',
        'authError',
      );
    }
    const m =
      /^\/sql\/v1beta4\/projects\/([^/]+)\/instances\/([^/:]+)(\/connectSettings|:generateEphemeralCert)$/.exec(
        url.pathname,
      );
    if (!m || m[1] !== project || m[2] !== instance) {
      return apiError(
        res,
        404,
        'The Cloud SQL instance does not exist.',
        'instanceDoesNotExist',
      );
    }
    if (m[3] === '/connectSettings' && req.method === 'GET') {
      fake.counts.connectSettings += 1;
      return json(res, 200, {
        kind: 'sql#connectSettings',
        serverCaCert: {
          kind: 'sql#sslCert',
          cert: certs.ca,
          expirationTime: new Date(Date.now() + 2 * 86400_000).toISOString(),
        },
        ipAddresses: [{ type: 'PRIMARY', ipAddress: fake.ip }],
        region,
        databaseVersion: 'POSTGRES_15',
        backendType: 'SECOND_GEN',
        serverCaMode: 'GOOGLE_MANAGED_INTERNAL_CA',
      });
    }
    if (m[3] === ':generateEphemeralCert' && req.method === 'POST') {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        let request;
        try {
          request = JSON.parse(body);
        } catch {
          return apiError(res, 400, 'Invalid JSON payload.', 'badRequest');
        }
        if (!/BEGIN PUBLIC KEY/.test(request.public_key ?? '')) {
          return apiError(res, 400, 'Invalid public key.', 'invalid');
        }
        // IAM database authentication: the certificate stands for the token's principal.
        const iam =
          request.access_token !== undefined &&
          metadata.authorized(`Bearer ${request.access_token}`);
        if (request.access_token !== undefined && !iam) {
          return apiError(res, 400, 'Invalid access token.', 'invalid');
        }
        const cert = signClientKey(
          dir,
          request.public_key,
          `/CN=${crypto.randomUUID()}`,
        );
        const fingerprint = new crypto.X509Certificate(cert).fingerprint256;
        issued.set(fingerprint, iam ? fake.iamUser : undefined);
        fake.counts.ephemeralCerts += 1;
        json(res, 200, { ephemeralCert: { kind: 'sql#sslCert', cert } });
      });
      return undefined;
    }
    return apiError(res, 405, 'Method not allowed.', 'methodNotAllowed');
  });

  const proxy = tls.createServer(
    {
      key: certs.key,
      cert: certs.cert,
      ca: [certs.ca],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    socket => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const peer = socket.getPeerCertificate();
      const refuse = (code, message) => {
        fake.counts.refused += 1;
        fake.refusals.push(message);
        socket.end(pgError(code, message));
      };
      if (!peer || !issued.has(peer.fingerprint256)) {
        fake.counts.refused += 1;
        socket.destroy();
        return;
      }
      const iamUser = issued.get(peer.fingerprint256);
      let buffered = Buffer.alloc(0);
      const onData = chunk => {
        buffered = Buffer.concat([buffered, chunk]);
        const startup = parseStartup(buffered);
        if (!startup) return;
        socket.off('data', onData);
        const user = startup.params.user;
        if (!iamUser) {
          // Only IAM logins are modelled here.
          return refuse(
            '28000',
            `password authentication is not offered by this fake (user "${user}")`,
          );
        }
        if (user !== iamUser) {
          return refuse(
            '28000',
            `Cloud SQL IAM user authentication failed for user "${user}"`,
          );
        }
        fake.counts.connections += 1;
        const upstream = options.postgres.path
          ? net.connect(options.postgres.path)
          : net.connect(
              options.postgres.port,
              options.postgres.host ?? '127.0.0.1',
            );
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
        upstream.write(buffered);
        socket.pipe(upstream);
        upstream.pipe(socket);
      };
      socket.on('data', onData);
      socket.on('error', () => {});
    },
  );
  proxy.on('tlsClientError', () => {
    fake.counts.refused += 1;
  });

  // A loopback address of its own (the whole 127/8 is local on Linux), so
  // port 3307 is free whatever else runs.
  for (let attempt = 0; ; attempt++) {
    const ip =
      options.ip ??
      `127.${1 + crypto.randomInt(250)}.${crypto.randomInt(256)}.${
        1 + crypto.randomInt(250)
      }`;
    try {
      await new Promise((resolve, reject) => {
        proxy.once('error', reject);
        proxy.listen(PROXY_PORT, ip, () => {
          proxy.off('error', reject);
          resolve();
        });
      });
      fake.ip = ip;
      break;
    } catch (error) {
      if (options.ip || attempt >= 5) throw error;
    }
  }
  await new Promise(resolve => admin.listen(0, '127.0.0.1', resolve));
  const { port } = admin.address();
  fake.url = `http://127.0.0.1:${port}`;
  /** For GCE_METADATA_HOST. */
  fake.metadataHost = `127.0.0.1:${port}`;
  fake.tokensIssued = metadata.tokensIssued;
  fake.stop = async () => {
    await Promise.all([
      new Promise(resolve => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      }),
      new Promise(resolve => {
        proxy.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return fake;
}

module.exports = { startCloudSqlFake, PROXY_PORT };
