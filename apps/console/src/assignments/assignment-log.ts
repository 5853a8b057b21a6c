/**
 * Ordering rules for assignment history, shared by every repository that writes assignments.
 *
 * Agents resume Watch from a revision, so a reader must never see revision N committed while
 * a smaller revision is still in flight. Every transaction that writes assignments therefore
 * takes one transaction-scoped advisory lock first: revisions are drawn and committed in order.
 * Rows hard-deleted (with their workload or node, or purged) leave no trace, so such deletes
 * raise the compaction mark; a Watch resuming from below it gets a fresh snapshot.
 */
export const ASSIGNMENT_WRITE_LOCK = 0x62617373; // "bass"
export const COMPACTED_KEY = 'assignments_compacted_through';

/** The subset of a Prisma transaction client these helpers need. */
export interface RawTx {
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
}

export async function lockAssignmentWrites(tx: RawTx): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${ASSIGNMENT_WRITE_LOCK})`);
}

/** Call in the transaction that hard-deletes assignments, after the lock. */
export async function markAssignmentsCompacted(tx: RawTx): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO "store_meta" ("key", "value") SELECT $1, last_value FROM berth_revision_seq
     ON CONFLICT ("key") DO UPDATE SET "value" = GREATEST("store_meta"."value", EXCLUDED."value")`,
    COMPACTED_KEY,
  );
}
