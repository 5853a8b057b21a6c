/** A registry credential as the API shows it: never the password. */
export interface RegistryCredential {
  id: string;
  name: string;
  registry: string;
  username: string;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

/** For the agents module handing pull credentials to a node. */
export interface ResolvedRegistryCredential extends RegistryCredential {
  password: string;
}
