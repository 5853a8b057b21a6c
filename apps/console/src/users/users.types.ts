import type { Role } from '../auth/roles.js';

export interface User {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserWithHash extends User {
  passwordHash: string;
}

export interface UserPatch {
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
}
