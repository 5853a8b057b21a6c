import { ConsoleError } from '../common/errors.js';

export const WorkloadErrorCode = {
  notFound: 'workload_not_found',
  exists: 'workload_exists',
  revisionNotFound: 'workload_revision_not_found',
} as const;

export function revisionNotFound(name: string, number: number): ConsoleError {
  return new ConsoleError(WorkloadErrorCode.revisionNotFound, 'not_found', `failed to roll back workload ${JSON.stringify(name)}: it has no revision ${number}`, {
    errors: [{ path: 'toRevision', message: `no revision ${number}` }],
  });
}
