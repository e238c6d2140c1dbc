import { fireEvent, screen } from '@testing-library/react';
import { ConfigReader } from '@backstage/config';
import { configApiRef, oktaAuthApiRef } from '@backstage/core-plugin-api';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  readSignInProviders,
  SignInPage,
  signInFailureReason,
} from './SignInPage';

describe('readSignInProviders', () => {
  it('keeps known providers in order and reports unknown ones', () => {
    expect(readSignInProviders(['okta', 'guest', 'okta-typo'])).toEqual({
      providers: ['okta', 'guest'],
      unknown: ['okta-typo'],
    });
  });
  it('treats a missing setting as no providers', () => {
    expect(readSignInProviders(undefined)).toEqual({
      providers: [],
      unknown: [],
    });
  });
});

describe('signInFailureReason', () => {
  it('unwraps "Login failed; caused by" to the reason', () => {
    const cause = new Error('ada@acme.example is not a user of this portal');
    const wrapped = new Error('Login failed; caused by NotFoundError', {
      cause,
    });
    expect(signInFailureReason(wrapped)).toBe(
      'ada@acme.example is not a user of this portal',
    );
  });
});

const configWith = (providers: string[]) =>
  new ConfigReader({ app: { title: 'Portal', signIn: { providers } } });

describe('SignInPage', () => {
  it('says so when no sign-in method is configured, naming unknown ones', async () => {
    await renderInTestApp(
      <TestApiProvider apis={[[configApiRef, configWith(['okta-typo'])]]}>
        <SignInPage onSignInSuccess={jest.fn()} />
      </TestApiProvider>,
    );
    expect(screen.getByText('Sign-in is not available')).toBeInTheDocument();
    expect(screen.getByText(/unknown: okta-typo/)).toBeInTheDocument();
  });

  it('offers Okta and shows why a refused user cannot sign in', async () => {
    const refusal = new Error(
      'stranger@acme.example is not a user of this portal: no User in the catalog matches this e-mail',
    );
    refusal.name = 'NotFoundError';
    const oktaAuth = {
      getBackstageIdentity: jest.fn(
        async (options?: { optional?: boolean }) => {
          if (options?.optional) return undefined;
          throw refusal;
        },
      ),
      getProfile: jest.fn(),
    };
    const onSignInSuccess = jest.fn();
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [configApiRef, configWith(['okta'])],
          [oktaAuthApiRef, oktaAuth],
        ]}
      >
        <SignInPage onSignInSuccess={onSignInSuccess} />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText('Sign in with your company Okta account'),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: /sign in/i }));
    expect(await screen.findByTestId('sign-in-failure')).toHaveTextContent(
      'stranger@acme.example is not a user of this portal: no User in the catalog matches this e-mail',
    );
    expect(onSignInSuccess).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Back to sign-in' }));
    expect(
      await screen.findByText('Sign in with your company Okta account'),
    ).toBeInTheDocument();
  });
});
