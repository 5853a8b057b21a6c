import { z } from 'zod';
import { ROLES } from '../../auth/roles.js';

const username = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-", starting with a letter or digit');
const password = z.string().min(8, 'must be at least 8 characters').max(1024);

export const createUserSchema = z.strictObject({ username, password, role: z.enum(ROLES) });
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z.strictObject({
  revision: z.number().int().positive().optional(),
  role: z.enum(ROLES).optional(),
  disabled: z.boolean().optional(),
  password: password.optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserSchema>;
