import type { Migration } from './migration'

/**
 * Full-text search over experiment names and notes: an FTS5 index whose content is the
 * experiments table (external content, keyed by the INTEGER PRIMARY KEY so VACUUM keeps it
 * valid), kept in step by triggers, and filled from the rows that already exist.
 */
export const migration0002AddSearch: Migration = {
  version: 2,
  name: 'add-search',
  async up(tx) {
    await tx.exec(`
      CREATE VIRTUAL TABLE experiments_fts USING fts5(
        name, notes, content='experiments', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER experiments_fts_insert AFTER INSERT ON experiments BEGIN
        INSERT INTO experiments_fts(rowid, name, notes) VALUES (new.id, new.name, new.notes);
      END;
      CREATE TRIGGER experiments_fts_delete AFTER DELETE ON experiments BEGIN
        INSERT INTO experiments_fts(experiments_fts, rowid, name, notes) VALUES ('delete', old.id, old.name, old.notes);
      END;
      CREATE TRIGGER experiments_fts_update AFTER UPDATE OF name, notes ON experiments BEGIN
        INSERT INTO experiments_fts(experiments_fts, rowid, name, notes) VALUES ('delete', old.id, old.name, old.notes);
        INSERT INTO experiments_fts(rowid, name, notes) VALUES (new.id, new.name, new.notes);
      END;
      INSERT INTO experiments_fts(experiments_fts) VALUES ('rebuild');
    `)
  },
}
