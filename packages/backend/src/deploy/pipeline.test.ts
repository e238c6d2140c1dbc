/*
 * The delivery pipeline (cloudbuild.yaml, cloudbuild.production.yaml and
 * scripts/deploy/) run step by step as Cloud Build would, with a fake gcloud,
 * docker, curl and sleep that record every call: the exact sequence of calls
 * on the happy path, when staging's smoke test fails, when the migration job
 * fails, when the canary is unhealthy, and for the one-command rollback.
 */
import { FakeCloud, FakeRule } from '../__testUtils__/pipelineHarness';

const PROJECT = 'acme-portal';
const SHA = 'abc1234';
const COMMIT = `${SHA}${'0'.repeat(33)}`;
const IMAGE = `europe-west1-docker.pkg.dev/${PROJECT}/portal/portal`;
const AT = `--project ${PROJECT} --region europe-west1`;
const STAGING_URL = 'https://portal-staging-x7kq-ew.a.run.app';
const PRODUCTION_URL = 'https://portal-x7kq-ew.a.run.app';
const CANARY_URL = 'https://canary---portal-x7kq-ew.a.run.app';
const TOKEN = 'staging-api-token-0123456789abcdef';
const PREVIOUS = 'portal-0f0f0f0-11111111';
const NEW_STAGING = 'portal-staging-abc1234-5a6b7c8d';
const NEW_PRODUCTION = 'portal-abc1234-9e8f7a6b';

const mainBuild = {
  PROJECT_ID: PROJECT,
  SHORT_SHA: SHA,
  COMMIT_SHA: COMMIT,
  BUILD_ID: '5a6b7c8d-0000-4000-8000-000000000001',
};
const productionBuild = {
  ...mainBuild,
  BUILD_ID: '9e8f7a6b-0000-4000-8000-000000000002',
};

const TRAFFIC_FORMAT =
  '--format=value(status.traffic.revisionName,status.traffic.percent,status.traffic.tag,status.traffic.url)';
const trafficLine = (revision: string, percent: number, tag = '', url = '') =>
  `${revision}\\t${percent}\\t${tag}\\t${url}`;

/** Google Cloud and the two services answering as on a good day. */
function healthyCloud(extra: FakeRule[] = []): FakeRule[] {
  return [
    ...extra,
    // Production's traffic: before the canary is deployed, then with it.
    {
      match: 'gcloud run services describe portal * --flatten=*',
      times: 1,
      output: trafficLine(PREVIOUS, 100, '', PRODUCTION_URL),
    },
    {
      match: 'gcloud run services describe portal * --flatten=*',
      output: [
        trafficLine(PREVIOUS, 100, '', PRODUCTION_URL),
        trafficLine(NEW_PRODUCTION, 0, 'canary', CANARY_URL),
      ].join('\\n'),
    },
    {
      match: 'gcloud run services describe portal-staging *',
      output: STAGING_URL,
    },
    { match: 'gcloud run services describe portal *', output: PRODUCTION_URL },
    {
      match: 'curl * */.backstage/health/v1/readiness',
      output: '{"status":"ok"}\\n200',
    },
    {
      match: 'curl * -H @* */api/catalog/entities?limit=1',
      output: '[{"kind":"Component"}]\\n200',
    },
    {
      match: 'curl * */api/catalog/entities?limit=1',
      output: '{"error":{"name":"AuthenticationError"}}\\n401',
    },
    // The canary's request log: statuses since the traffic moved.
    { match: 'gcloud logging read *', output: '200\\n200\\n304\\n404' },
  ];
}

const stagingCalls = [
  `docker pull ${IMAGE}:staging`,
  'docker buildx create --name portal --driver docker-container --use',
  `docker buildx build --cache-from type=registry,ref=${IMAGE}:buildcache --cache-from ${IMAGE}:staging --cache-to type=registry,ref=${IMAGE}:buildcache,mode=max --label org.opencontainers.image.revision=${COMMIT} --tag ${IMAGE}:${SHA} --load .`,
  `docker push ${IMAGE}:${SHA}`,
  `gcloud run jobs replace $WORK/portal-staging-migrate.yaml ${AT} --quiet`,
  `gcloud run jobs execute portal-staging-migrate ${AT} --wait`,
  `gcloud run services replace $WORK/portal-staging.yaml ${AT} --quiet`,
  `gcloud run services describe portal-staging ${AT} --format=value(status.url)`,
  `curl -sS --max-time 20 -w \\n%{http_code} ${STAGING_URL}/.backstage/health/v1/readiness`,
  `curl -sS --max-time 20 -w \\n%{http_code} -H @/dev/fd/63 ${STAGING_URL}/api/catalog/entities?limit=1`,
  `curl -sS --max-time 20 -w \\n%{http_code} ${STAGING_URL}/api/catalog/entities?limit=1`,
  `gcloud artifacts docker tags add ${IMAGE}:${SHA} ${IMAGE}:staging --quiet`,
  `gcloud artifacts docker tags add ${IMAGE}:${SHA} ${IMAGE}:staging-passed-${SHA} --quiet`,
  `gcloud builds triggers run portal-production --project ${PROJECT} --region global --sha ${COMMIT} --substitutions _RELEASE_SHA=${SHA}`,
];

const trafficQuery = `gcloud run services describe portal ${AT} --flatten=status.traffic ${TRAFFIC_FORMAT}`;
const canaryCheck = [
  'sleep 60',
  `curl -sS --max-time 20 -w \\n%{http_code} ${CANARY_URL}/.backstage/health/v1/readiness`,
  `gcloud logging read resource.type="cloud_run_revision" AND resource.labels.service_name="portal" AND resource.labels.revision_name="${NEW_PRODUCTION}" AND log_id("run.googleapis.com/requests") AND timestamp>="$SINCE" AND NOT httpRequest.requestUrl:"/.backstage/health/" --project ${PROJECT} --limit 10000 --format=value(httpRequest.status)`,
];
const productionUpToCanary = [
  `gcloud artifacts docker images describe ${IMAGE}:staging-passed-${SHA} --project ${PROJECT} --format=value(image_summary.digest)`,
  `gcloud run jobs replace $WORK/portal-migrate.yaml ${AT} --quiet`,
  `gcloud run jobs execute portal-migrate ${AT} --wait`,
  trafficQuery,
  `gcloud run services replace $WORK/portal.yaml ${AT} --quiet`,
  trafficQuery,
  `gcloud run services update-traffic portal ${AT} --to-tags canary=10`,
];

jest.setTimeout(60_000);

let cloud: FakeCloud;
afterEach(() => cloud?.close());

const ids = (steps: { id: string; code: number }[]) =>
  steps.map(s => `${s.id}:${s.code}`);

describe('the pipeline', () => {
  it('happy path: build, test, push, migrate, staging, smoke, approval, canary, all traffic', () => {
    cloud = new FakeCloud(healthyCloud());
    const staging = cloud.runBuild('cloudbuild.yaml', mainBuild, {
      secrets: { PORTAL_API_TOKEN: TOKEN },
    });
    expect(ids(staging)).toEqual([
      'pull-cache:0',
      'build:0',
      'test:0',
      'push:0',
      'migrate-staging:0',
      'deploy-staging:0',
      'smoke-staging:0',
      'tag-staging:0',
      'request-production:0',
    ]);
    expect(FakeCloud.secretsOf('cloudbuild.yaml')).toEqual({
      PORTAL_API_TOKEN: `projects/$PROJECT_ID/secrets/portal-staging-api-token/versions/latest`,
    });

    // The production trigger runs once approved; a shorter window here.
    const production = cloud.runBuild(
      'cloudbuild.production.yaml',
      productionBuild,
      { overrides: { _CANARY_WINDOW: '120' } },
    );
    expect(ids(production)).toEqual([
      'check-image:0',
      'migrate-production:0',
      'deploy-canary:0',
      'canary:0',
    ]);

    expect(cloud.calls()).toEqual([
      ...stagingCalls,
      ...productionUpToCanary,
      ...canaryCheck,
      ...canaryCheck,
      `gcloud run services update-traffic portal ${AT} --to-revisions ${NEW_PRODUCTION}=100`,
      `gcloud artifacts docker tags add ${IMAGE}:${SHA} ${IMAGE}:production --quiet`,
    ]);
    // The token never appears on a command line.
    expect(cloud.calls().join('\n')).not.toContain(TOKEN);

    // What was deployed: the image of the commit, migrations left to the
    // job, staging with all traffic, production's new revision without any.
    const job = cloud.rendered('portal-staging-migrate.yaml');
    expect(job.spec.template.spec.template.spec.containers[0].image).toBe(
      `${IMAGE}:${SHA}`,
    );
    const stagingService = cloud.rendered('portal-staging.yaml');
    expect(stagingService.spec.template.metadata.name).toBe(NEW_STAGING);
    expect(stagingService.spec.template.spec.containers[0].image).toBe(
      `${IMAGE}:${SHA}`,
    );
    expect(stagingService.spec.traffic).toEqual([
      { latestRevision: true, percent: 100 },
    ]);
    const productionService = cloud.rendered('portal.yaml');
    expect(productionService.spec.template.metadata).toMatchObject({
      name: NEW_PRODUCTION,
      labels: { 'commit-sha': SHA },
    });
    expect(productionService.spec.traffic).toEqual([
      { revisionName: PREVIOUS, percent: 100 },
      { revisionName: NEW_PRODUCTION, tag: 'canary', percent: 0 },
    ]);
  });

  it('failing tests: nothing is pushed or deployed', () => {
    cloud = new FakeCloud(healthyCloud());
    const steps = cloud.runBuild('cloudbuild.yaml', mainBuild, {
      secrets: { PORTAL_API_TOKEN: TOKEN },
      env: { TEST_COMMAND: 'echo "1233 passed, 1 failed"; exit 1' },
    });
    expect(ids(steps)).toEqual(['pull-cache:0', 'build:0', 'test:1']);
    expect(steps[2].stderr).toContain('tests failed: nothing is pushed');
    expect(cloud.calls()).toEqual(stagingCalls.slice(0, 3));
  });

  it('smoke test of staging fails: no tag moves and production is never requested', () => {
    cloud = new FakeCloud(
      healthyCloud([
        {
          match: `curl * ${STAGING_URL}/.backstage/health/v1/readiness`,
          output: 'Service Unavailable\\n503',
        },
      ]),
    );
    const steps = cloud.runBuild('cloudbuild.yaml', mainBuild, {
      secrets: { PORTAL_API_TOKEN: TOKEN },
    });
    expect(ids(steps).slice(-2)).toEqual([
      'deploy-staging:0',
      'smoke-staging:1',
    ]);
    expect(steps[steps.length - 1].stderr).toContain(
      `smoke test: portal-staging is not ready at ${STAGING_URL}`,
    );
    const readiness = `curl -sS --max-time 20 -w \\n%{http_code} ${STAGING_URL}/.backstage/health/v1/readiness`;
    expect(cloud.calls()).toEqual([
      ...stagingCalls.slice(0, 8),
      readiness,
      'sleep 10',
      readiness,
      'sleep 10',
      readiness,
    ]);
  });

  it('smoke test: a token the API refuses fails it too', () => {
    cloud = new FakeCloud(
      healthyCloud([
        {
          match: `curl * -H @* ${STAGING_URL}/api/catalog/entities?limit=1`,
          output: '{"error":{}}\\n401',
        },
      ]),
    );
    const steps = cloud.runBuild('cloudbuild.yaml', mainBuild, {
      secrets: { PORTAL_API_TOKEN: TOKEN },
    });
    expect(ids(steps).slice(-1)).toEqual(['smoke-staging:1']);
    expect(steps[steps.length - 1].stderr).toContain(
      'authenticated API call: https://portal-staging-x7kq-ew.a.run.app/api/catalog/entities?limit=1 answered 401',
    );
    expect(cloud.calls().join('\n')).not.toContain('builds triggers run');
  });

  it('a failed migration job: nothing is deployed', () => {
    cloud = new FakeCloud(
      healthyCloud([
        { match: 'gcloud run jobs execute portal-migrate *', exit: 1 },
      ]),
    );
    const steps = cloud.runBuild('cloudbuild.production.yaml', productionBuild);
    expect(ids(steps)).toEqual(['check-image:0', 'migrate-production:1']);
    expect(steps[1].stderr).toContain(
      'the migration job portal-migrate failed: traffic stays where it is',
    );
    expect(cloud.calls()).toEqual(productionUpToCanary.slice(0, 3));
  });

  it('an image that was never pushed stops production at once', () => {
    cloud = new FakeCloud(
      healthyCloud([
        { match: 'gcloud artifacts docker images describe *', exit: 1 },
      ]),
    );
    const steps = cloud.runBuild('cloudbuild.production.yaml', productionBuild);
    expect(ids(steps)).toEqual(['check-image:1']);
    expect(cloud.calls()).toHaveLength(1);
  });

  it('unhealthy canary (5xx): all traffic back on the previous revision, the build fails', () => {
    cloud = new FakeCloud(
      healthyCloud([
        // First check fine, then errors pile up.
        { match: 'gcloud logging read *', times: 1, output: '200\\n200' },
        {
          match: 'gcloud logging read *',
          output: '200\\n500\\n200\\n503\\n200\\n200',
        },
      ]),
    );
    const steps = cloud.runBuild(
      'cloudbuild.production.yaml',
      productionBuild,
      // Judged from 5 responses on (default 20).
      { overrides: { _CANARY_WINDOW: '300', _MIN_REQUESTS: '5' } },
    );
    expect(ids(steps)).toEqual([
      'check-image:0',
      'migrate-production:0',
      'deploy-canary:0',
      'canary:1',
    ]);
    expect(steps[3].stderr).toContain(
      `${NEW_PRODUCTION}: 2 of 6 responses since`,
    );
    expect(steps[3].stderr).toContain(
      `canary ${NEW_PRODUCTION} unhealthy: all traffic is back on ${PREVIOUS}`,
    );
    expect(cloud.calls()).toEqual([
      ...productionUpToCanary,
      ...canaryCheck,
      ...canaryCheck,
      `gcloud run services update-traffic portal ${AT} --to-revisions ${PREVIOUS}=100`,
    ]);
  });

  it('unhealthy canary (not ready): traffic restored at the first failed check', () => {
    cloud = new FakeCloud(
      healthyCloud([
        {
          match: `curl * ${CANARY_URL}/.backstage/health/v1/readiness`,
          output: '\\n000',
        },
      ]),
    );
    const steps = cloud.runBuild('cloudbuild.production.yaml', productionBuild);
    expect(ids(steps).slice(-1)).toEqual(['canary:1']);
    expect(cloud.calls()).toEqual([
      ...productionUpToCanary,
      ...canaryCheck.slice(0, 2),
      `gcloud run services update-traffic portal ${AT} --to-revisions ${PREVIOUS}=100`,
    ]);
  });

  it('first production deployment: the new revision takes all traffic, watched before the tag moves', () => {
    cloud = new FakeCloud(
      healthyCloud([
        // No service yet, then only the new revision (all traffic + canary tag).
        {
          match: 'gcloud run services describe portal * --flatten=*',
          times: 1,
          exit: 1,
          output:
            'ERROR: (gcloud.run.services.describe) Cannot find service [portal]',
        },
        {
          match: 'gcloud run services describe portal * --flatten=*',
          output: [
            trafficLine(NEW_PRODUCTION, 100, '', PRODUCTION_URL),
            trafficLine(NEW_PRODUCTION, 0, 'canary', CANARY_URL),
          ].join('\\n'),
        },
      ]),
    );
    const steps = cloud.runBuild(
      'cloudbuild.production.yaml',
      productionBuild,
      { overrides: { _CANARY_WINDOW: '60' } },
    );
    expect(ids(steps).slice(-1)).toEqual(['canary:0']);
    expect(cloud.rendered('portal.yaml').spec.traffic).toEqual([
      { revisionName: NEW_PRODUCTION, percent: 100 },
      { revisionName: NEW_PRODUCTION, tag: 'canary', percent: 0 },
    ]);
    expect(cloud.calls().slice(6)).toEqual([
      ...canaryCheck,
      `gcloud run services update-traffic portal ${AT} --to-revisions ${NEW_PRODUCTION}=100`,
      `gcloud artifacts docker tags add ${IMAGE}:${SHA} ${IMAGE}:production --quiet`,
    ]);
  });
});

describe('the canary judgement', () => {
  it('too few responses to judge an error rate: reported, and readiness decides', () => {
    cloud = new FakeCloud(
      healthyCloud([
        { match: 'gcloud logging read *', output: '200\\n500\\n200' },
      ]),
    );
    const steps = cloud.runBuild(
      'cloudbuild.production.yaml',
      productionBuild,
      {
        overrides: { _CANARY_WINDOW: '60' },
      },
    );
    expect(ids(steps).slice(-1)).toEqual(['canary:0']);
    expect(steps[3].stderr).toContain(
      'fewer than 20 responses: too few to judge the error rate yet',
    );
  });

  it('traffic that cannot be read (not a missing service) stops the deploy', () => {
    cloud = new FakeCloud(
      healthyCloud([
        {
          match: 'gcloud run services describe portal * --flatten=*',
          exit: 1,
          output:
            'ERROR: (gcloud.run.services.describe) PERMISSION_DENIED: Permission denied on resource project',
        },
      ]),
    );
    const steps = cloud.runBuild('cloudbuild.production.yaml', productionBuild);
    expect(ids(steps)).toEqual([
      'check-image:0',
      'migrate-production:0',
      'deploy-canary:1',
    ]);
    expect(steps[2].stderr).toContain('could not read the traffic of portal');
    expect(cloud.calls().join('\n')).not.toContain('services replace');
  });

  it('an image that did not pass staging is not released', () => {
    cloud = new FakeCloud(
      healthyCloud([
        {
          match: `gcloud artifacts docker images describe ${IMAGE}:staging-passed-*`,
          exit: 1,
        },
      ]),
    );
    const steps = cloud.runBuild('cloudbuild.production.yaml', productionBuild);
    expect(ids(steps)).toEqual(['check-image:1']);
    expect(steps[0].stderr).toContain('no tag staging-passed-abc1234');
  });

  it('releases the commit staging passed, whatever the trigger checked out', () => {
    cloud = new FakeCloud(healthyCloud());
    const steps = cloud.runBuild(
      'cloudbuild.production.yaml',
      { ...productionBuild, SHORT_SHA: 'beefcaf' },
      { overrides: { _RELEASE_SHA: SHA, _CANARY_WINDOW: '60' } },
    );
    expect(ids(steps).slice(-1)).toEqual(['canary:0']);
    expect(cloud.calls()[0]).toContain(`${IMAGE}:staging-passed-${SHA}`);
    expect(
      cloud.rendered('portal.yaml').spec.template.spec.containers[0].image,
    ).toBe(`${IMAGE}:${SHA}`);
  });
});

describe('rollback.sh <sha>', () => {
  const OLD = 'f00dbee';
  const revisionQuery = `gcloud run revisions list --service portal ${AT} --filter=metadata.labels.commit-sha=${OLD} --sort-by=~metadata.creationTimestamp --limit 1 --format=value(metadata.name)`;
  const after = (revision: string) => [
    `gcloud run services update-traffic portal ${AT} --to-revisions ${revision}=100`,
    `gcloud artifacts docker tags add ${IMAGE}:${OLD} ${IMAGE}:production --quiet`,
    `gcloud run services describe portal ${AT} --format=value(status.url)`,
    `curl -sS --max-time 20 -w \\n%{http_code} ${PRODUCTION_URL}/.backstage/health/v1/readiness`,
  ];

  it('moves all traffic to the revision Cloud Run still has for that commit', () => {
    cloud = new FakeCloud(
      healthyCloud([
        {
          match: 'gcloud run revisions list *',
          output: `portal-${OLD}-33333333`,
        },
      ]),
    );
    const result = cloud.run(
      ['scripts/deploy/rollback.sh', `${OLD}${'1'.repeat(33)}`],
      { PROJECT_ID: PROJECT },
    );
    expect(result.code).toBe(0);
    expect(cloud.calls()).toEqual([
      revisionQuery,
      ...after(`portal-${OLD}-33333333`),
    ]);
    expect(result.stderr).toContain(
      `portal: all traffic on portal-${OLD}-33333333 (${OLD})`,
    );
  });

  it('redeploys the image of that commit when no revision is left', () => {
    cloud = new FakeCloud(
      healthyCloud([{ match: 'gcloud run revisions list *', output: '' }]),
    );
    const result = cloud.run(['scripts/deploy/rollback.sh', OLD], {
      PROJECT_ID: PROJECT,
    });
    expect(result.code).toBe(0);
    expect(cloud.calls()).toEqual([
      revisionQuery,
      `gcloud artifacts docker images describe ${IMAGE}:${OLD} --project ${PROJECT} --format=value(image_summary.digest)`,
      `gcloud run deploy portal ${AT} --image ${IMAGE}:${OLD} --revision-suffix rollback-${OLD} --update-labels commit-sha=${OLD} --no-traffic --quiet`,
      ...after(`portal-rollback-${OLD}`),
    ]);
  });

  it('staging too; and without an image for the commit nothing changes', () => {
    cloud = new FakeCloud(
      healthyCloud([
        { match: 'gcloud run revisions list *', output: '' },
        { match: 'gcloud artifacts docker images describe *', exit: 1 },
      ]),
    );
    const result = cloud.run(['scripts/deploy/rollback.sh', OLD, 'staging'], {
      PROJECT_ID: PROJECT,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no image ${IMAGE}:${OLD}`);
    expect(cloud.calls()).toEqual([
      `gcloud run revisions list --service portal-staging ${AT} --filter=metadata.labels.commit-sha=${OLD} --sort-by=~metadata.creationTimestamp --limit 1 --format=value(metadata.name)`,
      `gcloud artifacts docker images describe ${IMAGE}:${OLD} --project ${PROJECT} --format=value(image_summary.digest)`,
    ]);
  });

  it('refuses what is not a commit', () => {
    cloud = new FakeCloud([]);
    for (const args of [[], ['main'], [OLD, 'prod']]) {
      const result = cloud.run(['scripts/deploy/rollback.sh', ...args], {
        PROJECT_ID: PROJECT,
      });
      expect(result.code).toBe(1);
    }
    expect(cloud.calls()).toEqual([]);
  });
});
