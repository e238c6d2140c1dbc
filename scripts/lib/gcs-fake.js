// A local Google Cloud Storage for tests, the benchmark and local development
// of the API-spec catalog provider: an HTTP server answering the JSON API
// calls @google-cloud/storage makes to list a bucket and read, download and
// delete objects, with GCS's resource shapes, generations, hashes (the
// client's crc32c download validation runs against them) and error bodies.
// Point the client at it with `new Storage({ apiEndpoint: fake.url })` or
// STORAGE_EMULATOR_HOST=<url>; both URL shapes (with and without
// /storage/v1) are served.
//
// With `auth` set it is also the GCE metadata server Application Default
// Credentials fall back to (GCE_METADATA_HOST=127.0.0.1:<port>), issuing
// short-lived tokens, and storage calls need a valid unexpired one.
//
// Test control: `put`/`setMetadata`/`remove` change objects, `fault` makes
// chosen calls fail, `counts`, `requests` and `tokensIssued` record calls.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { CRC32C } = require('@google-cloud/storage');
const { createMetadataServer, PROJECT } = require('./gce-metadata-fake');

const CONTENT_TYPES = {
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.graphql': 'application/graphql',
  '.xml': 'application/xml',
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.html': 'text/html',
};
const REASONS = {
  400: 'invalid',
  401: 'authError',
  403: 'forbidden',
  404: 'notFound',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
};
// `/storage/v1/...` (apiEndpoint), `/...` (STORAGE_EMULATOR_HOST) and
// `/download/storage/v1/...` (mediaLink): bucket, `/o`, object name.
const STORAGE_PATH =
  /^(?:\/download)?(?:\/storage\/v1)?\/b\/([^/]+)(\/o(?:\/(.+))?)?\/?$/;

/** GCS's etag: base64 of a protobuf with the generation and metageneration. */
function etagOf(generation, metageneration) {
  const varint = n => {
    const out = [];
    for (let v = BigInt(n); ; ) {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v ? byte | 0x80 : byte);
      if (!v) return out;
    }
  };
  const bytes = [0x08, ...varint(generation), 0x10, ...varint(metageneration)];
  return Buffer.from(bytes).toString('base64');
}

function crc32cOf(data) {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** An error in Google's JSON API shape. */
function sendError(res, status, message, reason, headers) {
  const errors = [{ message, domain: 'global', reason }];
  sendJson(res, status, { error: { code: status, message, errors } }, headers);
}

function startGcsFake({ port = 0, buckets = {}, auth, pageSize = 1000 } = {}) {
  const store = new Map(); // bucket -> Map(name -> object)
  const faults = [];
  const metadataServer = auth && createMetadataServer(auth);
  let lastGeneration = 0;
  const fake = {
    url: '',
    port: 0,
    counts: { list: 0, media: 0, get: 0, token: 0 },
    requests: [],
    tokensIssued: metadataServer ? metadataServer.tokensIssued : [],
  };

  function resource(o) {
    const object = `b/${o.bucket}/o/${encodeURIComponent(o.name)}`;
    return {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      selfLink: `${fake.url}/storage/v1/${object}`,
      mediaLink: `${fake.url}/download/storage/v1/${object}?generation=${o.generation}&alt=media`,
      name: o.name,
      bucket: o.bucket,
      generation: String(o.generation),
      metageneration: String(o.metageneration),
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.data.length),
      md5Hash: o.md5Hash,
      crc32c: o.crc32c,
      etag: etagOf(o.generation, o.metageneration),
      timeCreated: o.timeCreated,
      updated: o.updated,
      timeStorageClassUpdated: o.timeCreated,
      ...(o.contentEncoding && { contentEncoding: o.contentEncoding }),
      ...(o.metadata && { metadata: { ...o.metadata } }),
    };
  }

  fake.put = (
    bucket,
    name,
    content,
    { metadata, contentType, contentEncoding } = {},
  ) => {
    if (!store.has(bucket)) store.set(bucket, new Map());
    const data = Buffer.from(content);
    const now = new Date().toISOString();
    lastGeneration = Math.max(Date.now() * 1000, lastGeneration + 1);
    const object = {
      bucket,
      name,
      data,
      contentType:
        contentType ??
        CONTENT_TYPES[path.extname(name).toLowerCase()] ??
        'application/octet-stream',
      metadata:
        metadata && Object.keys(metadata).length ? { ...metadata } : undefined,
      contentEncoding,
      generation: lastGeneration,
      metageneration: 1,
      timeCreated: now,
      updated: now,
      md5Hash: crypto.createHash('md5').update(data).digest('base64'),
      crc32c: crc32cOf(data),
    };
    store.get(bucket).set(name, object);
    return resource(object);
  };
  fake.setMetadata = (bucket, name, metadata) => {
    const object = store.get(bucket)?.get(name);
    if (!object) throw new Error(`No such object: ${bucket}/${name}`);
    object.metadata =
      metadata && Object.keys(metadata).length ? { ...metadata } : undefined;
    object.metageneration += 1;
    object.updated = new Date().toISOString();
    return resource(object);
  };
  fake.remove = (bucket, name) => {
    store.get(bucket)?.delete(name);
  };
  /** The next `times` (default 1; Infinity for all) `kind` calls fail. */
  fake.fault = (kind, { status, times = 1, object, message }) => {
    faults.push({ kind, status, times, object, message });
  };
  /** Zeroes `counts` and empties `requests`. */
  fake.resetCounts = () => {
    for (const key of Object.keys(fake.counts)) fake.counts[key] = 0;
    fake.requests.length = 0;
  };

  function list(bucket, query) {
    const prefix = query.prefix ?? '';
    const delimiter = query.delimiter || undefined;
    const max = Math.min(Number(query.maxResults) || pageSize, pageSize);
    const after = query.pageToken
      ? Buffer.from(query.pageToken, 'base64url').toString()
      : '';
    const entries = new Map(); // object name or prefix -> object | null
    for (const name of [...bucket.keys()].sort()) {
      if (!name.startsWith(prefix)) continue;
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      const key = cut >= 0 ? name.slice(0, cut + delimiter.length) : name;
      if (key <= after || entries.has(key)) continue;
      entries.set(key, cut >= 0 ? null : bucket.get(name));
      if (entries.size > max) break;
    }
    const page = [...entries].slice(0, max);
    const prefixes = page.filter(([, o]) => !o).map(([key]) => key);
    const items = page.filter(([, o]) => o).map(([, o]) => resource(o));
    return {
      kind: 'storage#objects',
      ...(entries.size > max && {
        nextPageToken: Buffer.from(page[max - 1][0]).toString('base64url'),
      }),
      ...(prefixes.length && { prefixes }),
      ...(items.length && { items }),
    };
  }

  function handle(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const { authorization } = req.headers;
    fake.requests.push({
      method: req.method,
      path: url.pathname,
      query,
      ...(authorization && { authorization }),
    });
    if (metadataServer?.matches(url.pathname)) {
      const before = metadataServer.tokenRequests;
      metadataServer.handle(req, res, url);
      fake.counts.token += metadataServer.tokenRequests - before;
      return undefined;
    }
    const match = STORAGE_PATH.exec(url.pathname);
    let op;
    if (match && req.method === 'GET') {
      if (match[3]) op = query.alt === 'media' ? 'media' : 'get';
      else op = match[2] ? 'list' : 'bucket';
    } else if (match?.[3] && req.method === 'DELETE') op = 'delete';
    if (!op) return sendError(res, 404, 'Not Found', 'notFound');
    if (op in fake.counts) fake.counts[op] += 1;

    if (auth) {
      if (!metadataServer.authorized(authorization)) {
        return sendError(res, 401, 'Invalid Credentials', 'authError', {
          'www-authenticate': 'Bearer realm="https://accounts.google.com/"',
        });
      }
    }
    const bucketName = decodeURIComponent(match[1]);
    const name = match[3] && decodeURIComponent(match[3]);
    const fault = faults.find(
      f => f.times > 0 && f.kind === op && (!f.object || f.object === name),
    );
    if (fault) {
      fault.times -= 1;
      const { status } = fault;
      const reason =
        REASONS[status] ?? (status >= 500 ? 'backendError' : 'invalid');
      const message = fault.message ?? http.STATUS_CODES[status] ?? 'Error';
      return sendError(res, status, message, reason);
    }
    const bucket = store.get(bucketName);
    if (!bucket) {
      return sendError(
        res,
        404,
        'The specified bucket does not exist.',
        'notFound',
      );
    }
    if (op === 'bucket') {
      return sendJson(res, 200, {
        kind: 'storage#bucket',
        id: bucketName,
        name: bucketName,
        projectNumber: PROJECT.number,
        location: 'US',
        storageClass: 'STANDARD',
      });
    }
    if (op === 'list') return sendJson(res, 200, list(bucket, query));
    const object = bucket.get(name);
    if (
      !object ||
      (query.generation && query.generation !== String(object.generation))
    ) {
      return sendError(
        res,
        404,
        `No such object: ${bucketName}/${name}`,
        'notFound',
      );
    }
    if (op === 'delete') {
      bucket.delete(name);
      return res.writeHead(204).end();
    }
    if (op === 'get') return sendJson(res, 200, resource(object));
    // Stored gzip (contentEncoding): sent as stored to a client accepting
    // gzip, else unpacked (GCS's decompressive transcoding, no hashes).
    const gzip = object.contentEncoding === 'gzip';
    if (gzip && !/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      const data = zlib.gunzipSync(object.data);
      res.writeHead(200, {
        'content-type': object.contentType,
        'content-length': data.length,
        'x-goog-stored-content-encoding': 'gzip',
      });
      return res.end(data);
    }
    res.writeHead(200, {
      ...(gzip && { 'content-encoding': 'gzip' }),
      'content-type': object.contentType,
      'content-length': object.data.length,
      etag: `"${etagOf(object.generation, object.metageneration)}"`,
      'last-modified': new Date(object.updated).toUTCString(),
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
      'x-goog-generation': String(object.generation),
      'x-goog-metageneration': String(object.metageneration),
      'x-goog-stored-content-encoding': gzip ? 'gzip' : 'identity',
      'x-goog-stored-content-length': String(object.data.length),
      'x-goog-storage-class': 'STANDARD',
    });
    return res.end(object.data);
  }

  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      try {
        handle(req, res);
      } catch (error) {
        // e.g. a malformed %-escape in the object name
        sendError(res, 400, String(error.message), 'invalid');
      }
    });
  });
  fake.stop = () =>
    new Promise(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      fake.port = server.address().port;
      fake.url = `http://127.0.0.1:${fake.port}`;
      for (const [bucket, objects] of Object.entries(buckets)) {
        if (!store.has(bucket)) store.set(bucket, new Map());
        for (const [name, value] of Object.entries(objects)) {
          if (typeof value === 'string' || Buffer.isBuffer(value)) {
            fake.put(bucket, name, value);
          } else fake.put(bucket, name, value.content, value);
        }
      }
      resolve(fake);
    });
  });
}

/**
 * The files under `dir` as `buckets` objects: name = `prefix` + the path
 * relative to `dir` (with `/`); `.gcs-metadata.json` there
 * ({"<relative path>": {"key": "value"}}) gives their custom metadata.
 */
function seedFromDir(dir, { prefix = '' } = {}) {
  const metadataFile = path.join(dir, '.gcs-metadata.json');
  const metadata = fs.existsSync(metadataFile)
    ? JSON.parse(fs.readFileSync(metadataFile, 'utf8'))
    : {};
  const objects = {};
  for (const entry of fs.readdirSync(dir, { recursive: true }).sort()) {
    const relative = String(entry).split(path.sep).join('/');
    const file = path.join(dir, entry);
    if (relative === '.gcs-metadata.json' || !fs.statSync(file).isFile())
      continue;
    objects[prefix + relative] = {
      content: fs.readFileSync(file),
      ...(metadata[relative] && { metadata: metadata[relative] }),
    };
  }
  return objects;
}

module.exports = { startGcsFake, seedFromDir };
