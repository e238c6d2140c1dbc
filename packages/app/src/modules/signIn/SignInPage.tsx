import {
  Content,
  InfoCard,
  Page,
  SignInPage as CoreSignInPage,
} from '@backstage/core-components';
import {
  configApiRef,
  SignInPageProps,
  useApi,
} from '@backstage/core-plugin-api';
import Typography from '@material-ui/core/Typography';

/** Sign-in methods the page knows; `app.signIn.providers` picks among them. */
export const knownSignInProviders = ['guest'] as const;
type KnownSignInProvider = (typeof knownSignInProviders)[number];

const isKnown = (value: string): value is KnownSignInProvider =>
  (knownSignInProviders as readonly string[]).includes(value);

export function readSignInProviders(values: string[] | undefined): {
  providers: KnownSignInProvider[];
  unknown: string[];
} {
  const all = values ?? [];
  return {
    providers: all.filter(isKnown),
    unknown: all.filter(value => !isKnown(value)),
  };
}

export const SignInPage = (props: SignInPageProps) => {
  const config = useApi(configApiRef);
  const { providers, unknown } = readSignInProviders(
    config.getOptionalStringArray('app.signIn.providers'),
  );
  if (providers.length === 0) {
    return (
      <Page themeId="home">
        <Content>
          <InfoCard title="Sign-in is not available">
            <Typography variant="body1">
              No sign-in method is configured for this portal
              {unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}.
              Ask the platform team to set <code>app.signIn.providers</code>.
            </Typography>
          </InfoCard>
        </Content>
      </Page>
    );
  }
  return (
    <CoreSignInPage
      {...props}
      // Sign in again silently with the provider used last (e.g. after a reload).
      auto
      title="Acme Developer Portal"
      providers={providers}
    />
  );
};
