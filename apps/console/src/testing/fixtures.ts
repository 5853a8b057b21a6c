import { DatabaseService } from '../database/database.service.js';
import type { TestApp } from './test-app.js';

/** Inserts a node row the way agent registration would (tests only). */
export async function insertNode(t: TestApp, name: string, labels: Record<string, string> = {}, status = 'Ready'): Promise<{ id: string }> {
  const db = t.app.get(DatabaseService);
  return db.prisma.node.create({ data: { name, labels, status, capacity: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, pids: 4096 }, allocatable: { cpuMillis: 3500, memoryBytes: 7 * 2 ** 30, pids: 4000 } }, select: { id: true } });
}
