/**
 * What every berth-node command gets: the roots, output streams, the process environment (read
 * here, at the app's edge, never in the library) and lazily built runtime services.
 */
import { join } from 'node:path';
import { ImageContainers, RegistryClient, loadDockerConfig, type Credentials, type Logger } from '@berth/runtime';

export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
}

export interface CliEnv {
  readonly dataRoot: string;
  readonly stateRoot: string;
  /** Where `login` writes credentials (Docker config.json format). */
  readonly authFile: string;
  readonly stdout: Output;
  readonly stderr: Output;
  /** The process environment (HOME, DOCKER_CONFIG, COSIGN_PASSWORD, -e KEY lookups). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Reads all of stdin (for --password-stdin). */
  readStdin(): Promise<string>;
}

export class CliContext {
  private containersCache: ImageContainers | undefined;

  constructor(readonly env: CliEnv) {}

  get out(): Output {
    return this.env.stdout;
  }

  get containers(): ImageContainers {
    this.containersCache ??= new ImageContainers({ dataRoot: this.env.dataRoot, stateRoot: this.env.stateRoot, logger: this.env.logger });
    return this.containersCache;
  }

  /** Docker's own config (DOCKER_CONFIG or ~/.docker/config.json): read, never written. */
  dockerConfigPath(): string | undefined {
    if (this.env.env.DOCKER_CONFIG) return join(this.env.env.DOCKER_CONFIG, 'config.json');
    if (this.env.env.HOME) return join(this.env.env.HOME, '.docker', 'config.json');
    return undefined;
  }

  /** Credentials: the auth file wins over Docker's config for the same registry. */
  async credentials(): Promise<Map<string, Credentials>> {
    const docker = this.dockerConfigPath();
    const merged = new Map(docker ? await loadDockerConfig(docker) : []);
    for (const [k, v] of await loadDockerConfig(this.env.authFile)) merged.set(k, v);
    return merged;
  }

  async registry(): Promise<RegistryClient> {
    return new RegistryClient({ credentials: await this.credentials(), logger: this.env.logger });
  }
}
