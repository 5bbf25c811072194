import type { BackpackEngine } from '../runtime/backpack-engine'

/**
 * What fine-tuning needs of the model: the full pass (logits and α of chosen rows), the
 * projection E·v of the changes, rows of E, the config and the content hash that stamps the
 * edit document. The worker engine's proxy has it, and so has the engine worker's own view of its
 * sessions (finetune-in-worker.ts), where training runs.
 */
export type FinetuneEngine = Pick<BackpackEngine, 'config' | 'contentHash' | 'forward' | 'project' | 'embeddingRows'>
