import { z } from 'zod';
import { nameSchema } from '../../common/validation.js';

export const createRegistryCredentialSchema = z.strictObject({
  name: nameSchema,
  /** Registry host[:port], e.g. registry.example.com or 127.0.0.1:5000. */
  registry: z.string().min(1).max(253).regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be a registry host[:port]'),
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(8192),
});
