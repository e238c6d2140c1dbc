import { useMemo, useState } from 'react';
import {
  Content,
  InfoCard,
  Page,
  SignInPage as CoreSignInPage,
  SignInProviderConfig,
} from '@backstage/core-components';
import {
  ApiHolder,
  ApiRef,
  configApiRef,
  ErrorApi,
  errorApiRef,
  oktaAuthApiRef,
  SignInPageProps,
  useApi,
  useApiHolder,
} from '@backstage/core-plugin-api';
import { ApiProvider } from '@backstage/core-app-api';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';

const okta: SignInProviderConfig = {
  id: 'okta-auth-provider',
  title: 'Okta',
  message: 'Sign in with your company Okta account',
  apiRef: oktaAuthApiRef,
};

/** Sign-in methods the page knows; `app.signIn.providers` picks among them. */
export const knownSignInProviders = {
  guest: 'guest' as const,
  okta,
};
type KnownSignInProvider = keyof typeof knownSignInProviders;

const isKnown = (value: string): value is KnownSignInProvider =>
  Object.keys(knownSignInProviders).includes(value);

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

/** The reason a sign-in failed, without the "Login failed; caused by X:" wrapping. */
export function signInFailureReason(error: Error): string {
  let inner: any = error;
  while (inner?.cause instanceof Error || inner?.cause?.message) {
    inner = inner.cause;
  }
  return String(inner?.message ?? error.message);
}

/**
 * The APIs of the app, except that errors posted while signing in (a refused
 * user, Okta unreachable, an invalid token) are kept for the refusal page
 * instead of a passing notification.
 */
function useSignInErrorCapture(onError: (error: Error) => void): ApiHolder {
  const parent = useApiHolder();
  return useMemo(() => {
    const capture: ErrorApi = {
      post: error => onError(error),
      error$: () => parent.get(errorApiRef)!.error$(),
    };
    return {
      get<T>(ref: ApiRef<T>): T | undefined {
        return ref.id === errorApiRef.id ? (capture as T) : parent.get(ref);
      },
    };
  }, [parent, onError]);
}

export const SignInPage = (props: SignInPageProps) => {
  const config = useApi(configApiRef);
  const [failure, setFailure] = useState<Error>();
  const apis = useSignInErrorCapture(setFailure);
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
  if (failure) {
    return (
      <Page themeId="home">
        <Content>
          <InfoCard
            title="You could not be signed in"
            actions={
              <Button
                color="primary"
                variant="outlined"
                onClick={() => setFailure(undefined)}
              >
                Back to sign-in
              </Button>
            }
          >
            <Typography variant="body1" data-testid="sign-in-failure">
              {signInFailureReason(failure)}
            </Typography>
            <Typography variant="body2" color="textSecondary">
              If you think you should have access, send this message to the
              platform team.
            </Typography>
          </InfoCard>
        </Content>
      </Page>
    );
  }
  return (
    <ApiProvider apis={apis}>
      <CoreSignInPage
        {...props}
        // Sign in again silently with the provider used last (e.g. after a reload).
        auto
        title="Acme Developer Portal"
        providers={providers.map(id => knownSignInProviders[id])}
      />
    </ApiProvider>
  );
};
