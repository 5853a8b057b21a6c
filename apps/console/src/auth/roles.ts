import { SetMetadata } from '@nestjs/common';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** viewer < operator < admin: a role can do everything the roles before it can. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export const REQUIRE_ROLE = 'berth:require-role';
export const PUBLIC_ROUTE = 'berth:public';

/**
 * Minimum role. On a handler: for that route. On a controller: for its mutating routes.
 * Without either: GET/HEAD need viewer, anything else admin (a forgotten decorator fails closed).
 */
export const RequireRole = (role: Role) => SetMetadata(REQUIRE_ROLE, role);
/** No authentication (health, metrics, login, docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
