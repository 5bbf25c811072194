import type { CliCommand } from './cli-command'

/** A command's one-line summary (for `help`) and how to load its code, which runs only when called. */
export interface CommandEntry {
  summary: string
  load(): Promise<CliCommand>
}

/**
 * Every CLI command, by name. Each domain adds its own line here and keeps its code in
 * src/cli/commands/<name>.ts. The code is imported on first use, so `help` and the light
 * commands start without loading the model runtime, the tokenizer or the database.
 */
export const COMMANDS: Record<string, CommandEntry> = {
  attribute: {
    summary: 'Exact (position, sense) decomposition of one logit: why token T at position P',
    load: async () => (await import('./commands/attribute')).attribute,
  },
  convert: {
    summary: 'Convert a checkpoint to ONNX into the conversion cache (skipped when cached); prints the export dir',
    load: async () => (await import('./commands/convert')).convert,
  },
  download: {
    summary: 'Download a checkpoint from the Hugging Face Hub into the HF cache (--repo owner/name); prints its snapshot dir',
    load: async () => (await import('./commands/download')).download,
  },
  evaluate: {
    summary:
      'Per-token log-probs and perplexity of a text file (--file) or a folder of .txt files (--dir), optionally under --edits; --save-new/--save record the run',
    load: async () => (await import('./commands/evaluate')).evaluate,
  },
  experiment: {
    summary:
      'Experiment log: save, list, show, fork, run, reopen, compare, export, import, delete, restore (--db PATH, default in the user data folder)',
    load: async () => (await import('./commands/experiment')).experiment,
  },
  finetune: {
    summary: 'Fine-tune selected senses on canonical examples (JSON lines); writes the change as a sense-edit document',
    load: async () => (await import('./commands/finetune')).finetune,
  },
  forward: {
    summary: 'Run the model on --ids or --text and write logits/senses/contextualization .npy files to --out',
    load: async () => (await import('./commands/forward')).forward,
  },
  generate: {
    summary: 'Generate text (greedy or seeded sampling), optionally under --edits FILE; --compare shows baseline and edited',
    load: async () => (await import('./commands/generate')).generate,
  },
  info: {
    summary: "Print a checkpoint's config, parameter count, content hash, cache location and the available providers",
    load: async () => (await import('./commands/info')).info,
  },
  neighbours: {
    summary: 'Nearest tokens of a word by sense cosine: Sim_ℓ for --sense L, or Sim_min (--min, default)',
    load: async () => (await import('./commands/neighbours')).neighbours,
  },
  predict: {
    summary: 'Next-token top-k and per-token log-probs of a text, optionally under --edits FILE',
    load: async () => (await import('./commands/predict')).predict,
  },
  reverse: {
    summary: 'Which (word, sense) pairs most boost (or --suppress) a token',
    load: async () => (await import('./commands/reverse')).reverse,
  },
  senses: {
    summary: "A word's sense atlas: per sense the top/bottom tokens of E·C and the score distribution",
    load: async () => (await import('./commands/senses')).senses,
  },
  serve: {
    summary: 'serve the workbench UI and API over HTTP (127.0.0.1, token in the printed URL)',
    load: async () => (await import('./commands/serve')).serve,
  },
  suite: {
    summary: 'Run a paper experiment (gender-bias, topic, knowledge-edit) under --edits FILE; JSON results',
    load: async () => (await import('./commands/suite')).suite,
  },
  sweep: {
    summary: 'Sweeps on Redis workers: run, follow, status, cancel; the sense table on workers (--redis URL, --queue NAME)',
    load: async () => (await import('./commands/sweep')).sweep,
  },
  worker: {
    summary: 'Run sweep jobs from a Redis queue on one model (--redis URL, --queue, --concurrency, --provider, --checkpoint)',
    load: async () => (await import('./commands/worker')).worker,
  },
}
