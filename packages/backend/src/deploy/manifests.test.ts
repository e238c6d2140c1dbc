/*
 * The Cloud Run manifests under deploy/, rendered as the pipeline renders
 * them: the services (staging, production) have the settings Cloud Run needs
 * (scaling, concurrency, CPU boost, probes on Backstage's health endpoints,
 * Cloud SQL, secrets from Secret Manager, the service account); every
 * variable they set belongs to the deployment contract and is valid, every
 * one the production configuration requires is there, and the production
 * configuration loads with them; each migration job carries its service's
 * environment, with the migration job mode instead of skipped migrations.
 */
import path from 'node:path';
import { deploymentContract } from '@internal/backend-services';
import { FakeCloud } from '../__testUtils__/pipelineHarness';
import { productionConfig } from '../__testUtils__/productionDatabase';

const PROJECT = 'acme-portal';
const IMAGE = `europe-west1-docker.pkg.dev/${PROJECT}/portal/portal:abc1234`;
const READINESS = '/.backstage/health/v1/readiness';
const LIVENESS = '/.backstage/health/v1/liveness';
/** Read by the portal, documented in docs/configuration.md, outside the contract. */
const NOT_IN_CONTRACT = new Set(['LOG_LEVEL', 'NODE_ENV']);

type EnvEntry = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
};

let cloud: FakeCloud;
beforeAll(() => {
  cloud = new FakeCloud([]);
});
afterAll(() => cloud.close());

function render(file: string): any {
  const result = cloud.run(
    [
      'scripts/deploy/pipeline.sh',
      'render',
      `deploy/${file}`,
      path.join(cloud.dir, 'work', file),
    ],
    {
      PROJECT_ID: PROJECT,
      SHORT_SHA: 'abc1234',
      IMAGE,
      REVISION: 'portal-rev-new',
      SERVING_REVISION: 'portal-rev-old',
    },
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return cloud.rendered(file);
}

/** The environment as the container sees it; secrets stand in by shape. */
function environmentOf(env: EnvEntry[]): Record<string, string> {
  const stand_in = (name: string) =>
    name === 'GITHUB_APP_PRIVATE_KEY'
      ? '-----BEGIN RSA PRIVATE KEY-----\\nMIIstandin\\n-----END RSA PRIVATE KEY-----'
      : `secret-${name.toLowerCase()}-0123456789abcdefghijklmnop`;
  return Object.fromEntries(
    env.map(e => [e.name, e.value ?? stand_in(e.name)]),
  );
}

function checkEnvironment(env: EnvEntry[]) {
  const names = env.map(e => e.name);
  expect(new Set(names).size).toBe(names.length);
  const contract = new Map(deploymentContract.map(v => [v.name, v]));
  for (const entry of env) {
    expect(
      contract.has(entry.name) || NOT_IN_CONTRACT.has(entry.name)
        ? entry.name
        : `${entry.name} is not a contract variable`,
    ).toBe(entry.name);
    if (entry.valueFrom) {
      // A secret: mapped from Secret Manager by Cloud Run, never a value.
      expect(entry.value).toBeUndefined();
      expect(entry.valueFrom.secretKeyRef).toEqual({
        name: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        key: expect.stringMatching(/^(latest|\d+)$/),
      });
    } else {
      expect(typeof entry.value).toBe('string');
      const problem = contract.get(entry.name)?.validate?.(entry.value!);
      expect(problem ? `${entry.name} ${problem}` : undefined).toBeUndefined();
    }
  }
  const values = environmentOf(env);
  const missing = deploymentContract
    .filter(v =>
      typeof v.required === 'function' ? v.required(values) : v.required,
    )
    .filter(v => !values[v.name])
    .map(v => v.name);
  expect(missing).toEqual([]);
  // Secrets are never plain values.
  for (const name of [
    'POSTGRES_PASSWORD',
    'PORTAL_API_TOKEN',
    'OKTA_CLIENT_SECRET',
    'AUTH_SESSION_SECRET',
    'GITHUB_APP_CLIENT_SECRET',
    'GITHUB_APP_PRIVATE_KEY',
    'GITHUB_WEBHOOK_SECRET',
    'GITHUB_TOKEN',
  ]) {
    const entry = env.find(e => e.name === name);
    if (entry) expect(entry.valueFrom?.secretKeyRef).toBeDefined();
  }
}

describe.each([
  ['staging', 'portal-staging'],
  ['production', 'portal'],
])('deploy/%s.yaml', (environment, service) => {
  let manifest: any;
  let container: any;
  beforeAll(() => {
    manifest = render(`${environment}.yaml`);
    container = manifest.spec.template.spec.containers[0];
  });

  it('is a Cloud Run service with the image and revision of the build', () => {
    expect(manifest).toMatchObject({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: service },
    });
    expect(manifest.spec.template.metadata.name).toBe('portal-rev-new');
    expect(manifest.spec.template.metadata.labels['commit-sha']).toBe(
      'abc1234',
    );
    expect(manifest.spec.template.spec.containers).toHaveLength(1);
    expect(container.image).toBe(IMAGE);
  });

  it('scaling, concurrency, CPU boost, resources, service account', () => {
    const annotations = manifest.spec.template.metadata.annotations;
    const min = Number(annotations['autoscaling.knative.dev/minScale']);
    const max = Number(annotations['autoscaling.knative.dev/maxScale']);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeGreaterThanOrEqual(Math.max(min, 1));
    expect(annotations['run.googleapis.com/startup-cpu-boost']).toBe('true');
    // Scheduled tasks run between requests.
    expect(annotations['run.googleapis.com/cpu-throttling']).toBe('false');
    const spec = manifest.spec.template.spec;
    expect(spec.containerConcurrency).toBeGreaterThan(0);
    expect(spec.containerConcurrency).toBeLessThanOrEqual(1000);
    expect(spec.serviceAccountName).toBe(
      `portal-runtime@${PROJECT}.iam.gserviceaccount.com`,
    );
    expect(container.resources.limits).toEqual({
      cpu: expect.stringMatching(/^[1-8]$/),
      memory: expect.stringMatching(/^\d+(Mi|Gi)$/),
    });
    // Connections stay within a small Cloud SQL instance (docs/operations.md).
    const poolMax = Number(
      container.env.find((e: EnvEntry) => e.name === 'POSTGRES_POOL_MAX')
        ?.value ?? 5,
    );
    expect(max * 9 * poolMax).toBeLessThanOrEqual(200);
  });

  it("probes Backstage's health endpoints on the container port", () => {
    const port = container.ports[0].containerPort;
    expect(container.ports).toEqual([{ name: 'http1', containerPort: port }]);
    expect(container.startupProbe.httpGet).toEqual({ path: READINESS, port });
    expect(container.livenessProbe.httpGet).toEqual({ path: LIVENESS, port });
    // Start-up may take a while (first boot); the probe allows a minute at least.
    const { periodSeconds, failureThreshold, timeoutSeconds } =
      container.startupProbe;
    expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(60);
    expect(timeoutSeconds).toBeLessThanOrEqual(periodSeconds);
  });

  it('reaches its Cloud SQL instance through the socket Cloud Run mounts', () => {
    const instance =
      manifest.spec.template.metadata.annotations[
        'run.googleapis.com/cloudsql-instances'
      ];
    expect(instance).toBe(`${PROJECT}:europe-west1:${service}`);
    const host = container.env.find(
      (e: EnvEntry) => e.name === 'POSTGRES_HOST',
    );
    expect(host.value).toBe(`/cloudsql/${instance}`);
  });

  it('sets only contract variables, valid, secrets from Secret Manager, every required one', () => {
    checkEnvironment(container.env);
    expect(
      container.env.find((e: EnvEntry) => e.name === 'PORTAL_SKIP_MIGRATIONS')
        ?.value,
    ).toBe('true');
  });

  it('the production configuration loads with this environment', async () => {
    const config = await productionConfig(environmentOf(container.env));
    try {
      expect(config.getString('app.baseUrl')).toMatch(/^https:\/\//);
      expect(config.getBoolean('backend.database.skipMigrations')).toBe(true);
      expect(config.getOptionalBoolean('portal.migrateOnly')).toBe(false);
      expect(config.getString('backend.database.connection.host')).toBe(
        `/cloudsql/${PROJECT}:europe-west1:${service}`,
      );
    } finally {
      (config as any).close?.();
    }
  });

  it('traffic: staging all to the latest; production pinned, the new revision tagged canary', () => {
    expect(manifest.spec.traffic).toEqual(
      environment === 'staging'
        ? [{ latestRevision: true, percent: 100 }]
        : [
            { revisionName: 'portal-rev-old', percent: 100 },
            { revisionName: 'portal-rev-new', tag: 'canary', percent: 0 },
          ],
    );
  });

  describe(`its migration job (deploy/${environment}-migrate.yaml)`, () => {
    let job: any;
    let jobContainer: any;
    beforeAll(() => {
      job = render(`${environment}-migrate.yaml`);
      jobContainer = job.spec.template.spec.template.spec.containers[0];
    });

    it('is a Cloud Run job named after the service, run once, with the image', () => {
      expect(job).toMatchObject({
        apiVersion: 'run.googleapis.com/v1',
        kind: 'Job',
        metadata: { name: `${service}-migrate` },
      });
      expect(job.spec.template.spec).toMatchObject({
        parallelism: 1,
        taskCount: 1,
      });
      expect(job.spec.template.spec.template.spec).toMatchObject({
        maxRetries: 0,
        serviceAccountName: `portal-migrator@${PROJECT}.iam.gserviceaccount.com`,
      });
      expect(jobContainer.image).toBe(IMAGE);
    });

    it("has the service's environment and network, migrating instead of skipping", () => {
      const serviceEnv = container.env.filter(
        (e: EnvEntry) => e.name !== 'PORTAL_SKIP_MIGRATIONS',
      );
      const jobEnv = jobContainer.env.filter(
        (e: EnvEntry) => e.name !== 'PORTAL_MIGRATE_ONLY',
      );
      expect(jobEnv).toEqual(serviceEnv);
      expect(
        jobContainer.env.find((e: EnvEntry) => e.name === 'PORTAL_MIGRATE_ONLY')
          ?.value,
      ).toBe('true');
      checkEnvironment(jobContainer.env);
      const annotations = manifest.spec.template.metadata.annotations;
      const pick = (a: Record<string, string>) =>
        Object.fromEntries(
          Object.entries(a).filter(([k]) =>
            /cloudsql-instances|network-interfaces|vpc-access-egress/.test(k),
          ),
        );
      expect(pick(job.spec.template.metadata.annotations)).toEqual(
        pick(annotations),
      );
    });

    it('the production configuration loads in the migration job mode', async () => {
      const config = await productionConfig(environmentOf(jobContainer.env));
      try {
        expect(config.getBoolean('backend.database.skipMigrations')).toBe(
          false,
        );
        expect(config.getBoolean('portal.migrateOnly')).toBe(true);
        // It claims no catalog entities (they would wait for the next interval).
        expect(config.getOptional('catalog.processingInterval')).toBe(false);
      } finally {
        (config as any).close?.();
      }
    });
  });
});

jest.setTimeout(60_000);
describe('rendering', () => {
  it('fails on a placeholder it does not know, or one it lacks a value for', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const file = path.join(cloud.dir, 'bad.yaml');
    fs.writeFileSync(file, 'image: ${IMAGE}\nname: ${SERVICE_NAME}\n');
    const unknown = cloud.run(
      ['scripts/deploy/pipeline.sh', 'render', file, `${file}.out`],
      { PROJECT_ID: PROJECT, SHORT_SHA: 'abc1234' },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'unknown placeholders left: ${SERVICE_NAME}',
    );
    const lacking = cloud.run(
      [
        'scripts/deploy/pipeline.sh',
        'render',
        'deploy/production.yaml',
        `${file}.out`,
      ],
      { PROJECT_ID: PROJECT, SHORT_SHA: 'abc1234', REVISION: 'portal-x' },
    );
    expect(lacking.code).toBe(1);
    expect(lacking.stderr).toContain(
      'deploy/production.yaml needs SERVING_REVISION',
    );
  });
});
