import { screen } from '@testing-library/react';
import { ConfigReader } from '@backstage/config';
import { configApiRef } from '@backstage/core-plugin-api';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { readSignInProviders, SignInPage } from './SignInPage';

describe('readSignInProviders', () => {
  it('keeps known providers in order and reports unknown ones', () => {
    expect(readSignInProviders(['guest', 'okta-typo'])).toEqual({
      providers: ['guest'],
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

describe('SignInPage', () => {
  it('says so when no sign-in method is configured, naming unknown ones', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            configApiRef,
            new ConfigReader({ app: { signIn: { providers: ['okta-typo'] } } }),
          ],
        ]}
      >
        <SignInPage onSignInSuccess={jest.fn()} />
      </TestApiProvider>,
    );
    expect(screen.getByText('Sign-in is not available')).toBeInTheDocument();
    expect(screen.getByText(/unknown: okta-typo/)).toBeInTheDocument();
  });
});
