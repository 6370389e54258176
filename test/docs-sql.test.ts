// Every ```sql block of the documents for analysts, Metabase and scaling, run against a published
// release of the whole sample: an example that breaks or returns nothing names its document, its
// line and DuckDB's error.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { messageOf } from '../core/errors.js';
import { literal, Warehouse, type Row } from '../core/warehouse.js';
import { DOCS_DIR } from '../pipelines/outputs/docs.js';
import { METABASE_INIT } from '../pipelines/stages/publish.js';
import { SNAPSHOT_FILE } from '../pipelines/stages/snapshot.js';

/** The release folder the documents write as a relative path, run from the project's root. */
const PLACEHOLDER_RELEASE = 'data/publish/current/';

type SqlBlock = { doc: string; line: number; sql: string };

/** The ```sql fenced blocks of a document, each with the line of its opening fence. */
function sqlBlocks(doc: string): SqlBlock[] {
  const lines = readFileSync(join(DOCS_DIR, doc), 'utf8').split('\n');
  const blocks: SqlBlock[] = [];
  let open: { line: number; body: string[] } | undefined;
  lines.forEach((text, index) => {
    if (open === undefined && /^```sql\s*$/.test(text)) open = { line: index + 1, body: [] };
    else if (open !== undefined && /^```\s*$/.test(text)) {
      blocks.push({ doc: `docs/${doc}`, line: open.line, sql: open.body.join('\n') });
      open = undefined;
    } else open?.body.push(text);
  });
  if (open) throw new Error(`docs/${doc}:${open.line}: a \`\`\`sql block is never closed`);
  return blocks;
}

function publishDir(): string {
  const dir = inject('publishDir');
  if (!dir) throw new Error('no published sample: test/global-setup.ts must provide `publishDir` (a run of the job over the sample)');
  return dir;
}

function releaseDir(): string {
  return join(publishDir(), 'current');
}

/** A file the documents rely on, or a failure that says which and who writes it. */
function required(path: string, writtenBy: string): string {
  if (!existsSync(path)) throw new Error(`${path} does not exist: ${writtenBy}`);
  return path;
}

/** Where each document's examples run, as an analyst or Metabase would run them. */
const SETUPS: Record<string, { where: string; prepare: (db: Warehouse) => Promise<void> }> = {
  'analysts.md': {
    where: 'on the snapshot attached read-only',
    prepare: async (db) => {
      const snapshot = required(join(releaseDir(), SNAPSHOT_FILE), 'the publish stage writes the snapshot into each release');
      // Named as the file is, so that current_database() is what `duckdb -readonly cchc.duckdb` shows.
      await db.run(`ATTACH ${literal(snapshot)} AS cchc (READ_ONLY)`);
      await db.run('USE cchc');
    },
  },
  'metabase.md': {
    where: `on the views of ${METABASE_INIT} in an in-memory DuckDB, as Metabase does`,
    prepare: async (db) => {
      const init = required(join(publishDir(), METABASE_INIT), 'the publish stage writes it next to `current` at each publish (docs/metabase.md)');
      await db.runScript(readFileSync(init, 'utf8'));
    },
  },
  'scaling.md': {
    where: "on the release's Parquet files",
    prepare: async () => {},
  },
};

/** The statements of a block, comments aside; the documents put no `;` inside a string. */
function statementCount(sql: string): number {
  return sql.replace(/--.*$/gm, '').split(';').filter((part) => part.trim() !== '').length;
}

/** Runs one example in a fresh in-memory DuckDB: an example must stand alone. */
async function runExample(block: SqlBlock, prepare: (db: Warehouse) => Promise<void>): Promise<Row[]> {
  // DuckDB would answer with the first statement of several and pass over the others untested.
  if (statementCount(block.sql) !== 1) throw new Error(`${block.doc}:${block.line}: one statement per \`\`\`sql block, to be tested whole`);
  const db = await Warehouse.open(':memory:');
  try {
    await prepare(db);
    const sql = block.sql.replaceAll(PLACEHOLDER_RELEASE, `${releaseDir()}/`);
    return await db.all(sql);
  } catch (error) {
    throw new Error(`${block.doc}:${block.line}: ${messageOf(error)}\n\n${block.sql}`, { cause: error });
  } finally {
    db.close();
  }
}

for (const [doc, { where, prepare }] of Object.entries(SETUPS)) {
  describe(`the SQL examples of docs/${doc}`, () => {
    const blocks = existsSync(join(DOCS_DIR, doc)) ? sqlBlocks(doc) : [];

    it('the document exists and holds at least one ```sql example', () => {
      expect(blocks.length, `docs/${doc} is missing or has no \`\`\`sql block`).toBeGreaterThan(0);
    });

    it.each(blocks.map((block) => [`${block.doc}:${block.line}`, block] as const))(
      `the example at %s runs ${where} and returns at least one row of the sample`,
      async (name, block) => {
        const rows = await runExample(block, prepare);
        expect(rows.length, `${name} returns no row on the sample: an example should show something\n\n${block.sql}`).toBeGreaterThan(0);
      },
    );
  });
}
