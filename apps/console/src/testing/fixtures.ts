import { DatabaseService } from '../database/database.service.js';
import type { TestApp } from './test-app.js';

/** Inserts a node row the way agent registration would (tests only). */
export async function insertNode(t: TestApp, name: string, labels: Record<string, string> = {}, status = 'Ready'): Promise<{ id: string }> {
  const db = t.app.get(DatabaseService);
  return db.prisma.node.create({ data: { name, labels, status, capacity: { cpu: 4000, memory: 8 << 30 }, allocatable: { cpu: 3500, memory: 7 << 30 } }, select: { id: true } });
}
