import { createHash } from 'node:crypto'
import type { Migration } from './migration'

/**
 * Runs stored a full copy of their edit document each (~200 bytes a run, nearly always the
 * same text as their neighbours'). Move the documents into `edit_documents`, one row per
 * distinct text (keyed by its sha256), and point runs at them by integer id. Also drops
 * prompt_key from the runs index: comparisons read all runs of an experiment anyway.
 */
export const migration0003DedupeRunEdits: Migration = {
  version: 3,
  name: 'dedupe-run-edits',
  async up(tx) {
    await tx.exec(`
      CREATE TABLE edit_documents (
        id   INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        json TEXT NOT NULL
      );
      ALTER TABLE runs ADD COLUMN edits_id INTEGER REFERENCES edit_documents(id);
    `)
    const ids = new Map<string, number>()
    for (let after = 0; ;) {
      const rows = await tx.all<{ id: number; edits_json: string }>('SELECT id, edits_json FROM runs WHERE id > ? ORDER BY id LIMIT 2000', [
        after,
      ])
      if (rows.length === 0) break
      for (const r of rows) {
        let docId = ids.get(r.edits_json)
        if (docId === undefined) {
          const hash = createHash('sha256').update(r.edits_json).digest('hex')
          docId = (await tx.run('INSERT INTO edit_documents (hash, json) VALUES (?, ?)', [hash, r.edits_json])).lastID
          ids.set(r.edits_json, docId)
        }
        await tx.run('UPDATE runs SET edits_id = ? WHERE id = ?', [docId, r.id])
      }
      after = rows[rows.length - 1].id
    }
    await tx.exec(`
      ALTER TABLE runs DROP COLUMN edits_json;
      DROP INDEX runs_experiment;
      CREATE INDEX runs_experiment ON runs(experiment_id, created_at);
      CREATE INDEX runs_edits ON runs(edits_id);
    `)
  },
}
