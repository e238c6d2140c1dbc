import { render, screen } from '@testing-library/react';
import App from './App';

function withConfig(signInProviders: string[]) {
  process.env = {
    NODE_ENV: 'test',
    APP_CONFIG: [
      {
        data: {
          app: { title: 'Test', signIn: { providers: signInProviders } },
          backend: { baseUrl: 'http://localhost:7007' },
        },
        context: 'test',
      },
    ] as any,
  };
}

jest.setTimeout(30_000);

describe('App', () => {
  const env = process.env;
  afterEach(() => {
    process.env = env;
  });

  it('renders the branded sign-in page with guest sign-in', async () => {
    withConfig(['guest']);
    render(App.createRoot());
    expect(
      await screen.findByText('Acme Developer Portal', {}, { timeout: 15000 }),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('button', { name: /enter/i }),
    ).toBeInTheDocument();
  });
});
