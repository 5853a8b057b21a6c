import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../testing/temp-db.js';

interface RuntimeField {
  name: string;
  kind: 'scalar' | 'enum' | 'object';
  type: string;
  dbName?: string;
}
interface RuntimeDataModel {
  models: Record<string, { dbName: string | null; fields: RuntimeField[] }>;
}

// How each Prisma scalar type is stored (information_schema.columns.data_type).
const PG_TYPES: Record<string, string[]> = {
  String: ['text', 'uuid', 'character varying'],
  Int: ['integer'],
  BigInt: ['bigint'],
  Boolean: ['boolean'],
  DateTime: ['timestamp with time zone'],
  Json: ['jsonb'],
  Bytes: ['bytea'],
};

for (const backend of BACKENDS) {
  test(`drift(${backend.name}): every model and field of the generated client exists in a migrated database, and nothing more`, { skip: backend.skip() }, async () => {
    const t = await backend.open();
    try {
      const model = (t.db.prisma as unknown as { _runtimeDataModel: RuntimeDataModel })._runtimeDataModel;
      const modelNames = Object.keys(model.models);
      assert.ok(modelNames.length >= 12, `expected the full data model, got ${modelNames.join(', ')}`);
      const cols = await t.db.sql.query<{ table_name: string; column_name: string; data_type: string; udt_name: string }>(
        `SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns WHERE table_schema = current_schema()`,
      );
      const byTable = new Map<string, Map<string, { data_type: string; udt_name: string }>>();
      for (const c of cols) {
        const m = byTable.get(c.table_name) ?? new Map();
        m.set(c.column_name, c);
        byTable.set(c.table_name, m);
      }
      const problems: string[] = [];
      const modelTables = new Set<string>();
      for (const [name, m] of Object.entries(model.models)) {
        const table = m.dbName ?? name;
        modelTables.add(table);
        const tcols = byTable.get(table);
        if (!tcols) {
          problems.push(`model ${name}: table ${table} is missing`);
          continue;
        }
        const fieldCols = new Set<string>();
        for (const f of m.fields) {
          if (f.kind === 'object') continue;
          const col = f.dbName ?? f.name;
          fieldCols.add(col);
          const c = tcols.get(col);
          if (!c) {
            problems.push(`${name}.${f.name}: column ${table}.${col} is missing`);
          } else if (f.kind === 'enum') {
            if (c.data_type !== 'USER-DEFINED' || c.udt_name !== f.type) problems.push(`${name}.${f.name}: ${table}.${col} is ${c.data_type}/${c.udt_name}, want enum ${f.type}`);
          } else if (!(PG_TYPES[f.type] ?? []).includes(c.data_type)) {
            problems.push(`${name}.${f.name}: ${table}.${col} is ${c.data_type}, want one of ${(PG_TYPES[f.type] ?? [f.type]).join('/')}`);
          }
        }
        for (const col of tcols.keys()) if (!fieldCols.has(col)) problems.push(`table ${table}: column ${col} is not in the Prisma model ${name}`);
      }
      for (const table of byTable.keys()) {
        if (table !== '_prisma_migrations' && !modelTables.has(table)) problems.push(`table ${table} has no Prisma model`);
      }
      assert.deepEqual(problems, []);
    } finally {
      await t.dispose();
    }
  });
}
