import type { Migration } from './migration'

/**
 * The first schema: checkpoints, experiments (+ tags, edited tokens), runs and their blobs.
 * Times are INTEGER milliseconds since the epoch; structured fields are JSON text; large
 * numeric outputs are raw little-endian BLOBs in run_blobs.
 */
export const migration0001Initial: Migration = {
  version: 1,
  name: 'initial',
  async up(tx) {
    await tx.exec(`
      CREATE TABLE checkpoints (
        hash        TEXT PRIMARY KEY,
        source      TEXT,
        config_json TEXT,
        first_seen  INTEGER NOT NULL
      );

      CREATE TABLE experiments (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        uid             TEXT NOT NULL UNIQUE,
        name            TEXT NOT NULL,
        notes           TEXT NOT NULL DEFAULT '',
        folder          TEXT NOT NULL DEFAULT '',
        parent_id       INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
        checkpoint_hash TEXT REFERENCES checkpoints(hash),
        edits_json      TEXT NOT NULL,
        edit_count      INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        deleted_at      INTEGER
      );
      CREATE INDEX experiments_created ON experiments(deleted_at, created_at);
      CREATE INDEX experiments_updated ON experiments(deleted_at, updated_at);
      CREATE INDEX experiments_name ON experiments(name COLLATE NOCASE);
      CREATE INDEX experiments_checkpoint ON experiments(checkpoint_hash);
      CREATE INDEX experiments_parent ON experiments(parent_id);

      CREATE TABLE experiment_tags (
        experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        tag           TEXT NOT NULL,
        PRIMARY KEY (experiment_id, tag)
      ) WITHOUT ROWID;
      CREATE INDEX experiment_tags_tag ON experiment_tags(tag, experiment_id);

      -- every token an experiment's edits touch, by id (when known) and by normalised word
      CREATE TABLE experiment_tokens (
        experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        token_id      INTEGER,
        word          TEXT
      );
      CREATE INDEX experiment_tokens_id ON experiment_tokens(token_id, experiment_id);
      CREATE INDEX experiment_tokens_word ON experiment_tokens(word, experiment_id);
      CREATE INDEX experiment_tokens_exp ON experiment_tokens(experiment_id);

      CREATE TABLE runs (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        uid                TEXT NOT NULL UNIQUE,
        experiment_id      INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
        kind               TEXT NOT NULL,
        inputs_json        TEXT NOT NULL,
        settings_json      TEXT NOT NULL,
        prompt_key         TEXT NOT NULL,
        outputs_json       TEXT NOT NULL,
        metrics_json       TEXT NOT NULL,
        timings_json       TEXT NOT NULL,
        edits_json         TEXT NOT NULL,
        app_version        TEXT NOT NULL,
        runtime_version    TEXT,
        execution_provider TEXT,
        checkpoint_hash    TEXT REFERENCES checkpoints(hash),
        created_at         INTEGER NOT NULL
      );
      CREATE INDEX runs_experiment ON runs(experiment_id, prompt_key, created_at);

      CREATE TABLE run_blobs (
        run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name       TEXT NOT NULL,
        dtype      TEXT NOT NULL,
        shape_json TEXT NOT NULL,
        data       BLOB NOT NULL,
        PRIMARY KEY (run_id, name)
      ) WITHOUT ROWID;
    `)
  },
}
