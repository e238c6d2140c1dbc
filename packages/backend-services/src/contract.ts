/**
 * The deployment contract: environment variables that the production
 * configuration (app-config.production.yaml) reads. The platform team sets
 * them on the Cloud Run service; docs/configuration.md lists them for humans.
 *
 * Only `required` matters to code: a required variable that a loaded config
 * file references (`${NAME}`) but the environment lacks stops start-up with a
 * message naming it. Variables referenced with a fallback (`${PORT:-7007}`) or
 * not marked required may be absent.
 */
export interface ContractVariable {
  name: string;
  required: boolean;
  description: string;
}

export const deploymentContract: ReadonlyArray<ContractVariable> = [
  { name: 'PORT', required: false, description: 'port to listen on (default 7007)' },
  { name: 'APP_BASE_URL', required: true, description: 'public URL of the portal' },
  { name: 'POSTGRES_HOST', required: true, description: 'Cloud SQL host, or /cloudsql/<instance> for the Unix socket' },
  { name: 'POSTGRES_PORT', required: false, description: 'PostgreSQL port (default 5432)' },
  { name: 'POSTGRES_USER', required: true, description: 'PostgreSQL user' },
  { name: 'POSTGRES_PASSWORD', required: true, description: 'PostgreSQL password' },
  { name: 'PORTAL_API_TOKEN', required: false, description: 'static token for machine clients; unset means none is accepted' },
];

/** Raised when required contract variables are missing; names every one. */
export class MissingEnvironmentError extends Error {
  readonly variables: string[];
  constructor(variables: string[], contract: ReadonlyArray<ContractVariable>) {
    const lines = variables.map(name => {
      const entry = contract.find(v => v.name === name);
      return `  ${name}${entry ? `: ${entry.description}` : ''}`;
    });
    super(
      `Missing required environment variable${variables.length > 1 ? 's' : ''} ` +
        `${variables.join(', ')}; the configuration references ${
          variables.length > 1 ? 'them' : 'it'
        } but ${variables.length > 1 ? 'they are' : 'it is'} not set:\n${lines.join(
          '\n',
        )}\nSee docs/configuration.md for the deployment contract.`,
    );
    this.name = 'MissingEnvironmentError';
    this.variables = variables;
  }
}

/**
 * A config substitution function (for `${NAME}` in config files) that reads
 * the given environment and records required contract variables that are
 * referenced but missing or empty.
 */
export function createContractSubstitution(
  env: Record<string, string | undefined>,
  contract: ReadonlyArray<ContractVariable> = deploymentContract,
) {
  const required = new Set(contract.filter(v => v.required).map(v => v.name));
  const missing = new Set<string>();
  const substitute = async (name: string): Promise<string | undefined> => {
    const value = env[name]?.trim();
    if (!value) {
      if (required.has(name)) {
        missing.add(name);
      }
      return undefined;
    }
    return value;
  };
  const check = () => {
    if (missing.size > 0) {
      throw new MissingEnvironmentError([...missing].sort(), contract);
    }
  };
  return { substitute, check };
}
