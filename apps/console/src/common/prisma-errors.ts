/** True for Prisma's unique-constraint violation (P2002), however the adapter reports it. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown; originalCode?: unknown } };
  return e?.code === 'P2002' || e?.cause?.originalCode === '23505' || e?.cause?.code === '23505';
}

/** True for "record to update/delete not found" (P2025). */
export function isRecordNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 'P2025';
}
