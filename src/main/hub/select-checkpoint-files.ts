/**
 * The files a Backpack checkpoint needs: `config.json` plus the weights, preferring
 * `model.safetensors` over `pytorch_model.bin` when a repository has both.
 */
export const CONFIG_FILE = 'config.json'
export const WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'] as const

export interface CheckpointFileSelection {
  files: string[]
  /** What is missing, in words ("config.json", "model.safetensors or pytorch_model.bin"). */
  missing: string[]
}

export function selectCheckpointFiles(has: (file: string) => boolean): CheckpointFileSelection {
  const files: string[] = []
  const missing: string[] = []
  if (has(CONFIG_FILE)) files.push(CONFIG_FILE)
  else missing.push(CONFIG_FILE)
  const weights = WEIGHT_FILES.find((f) => has(f))
  if (weights) files.push(weights)
  else missing.push(WEIGHT_FILES.join(' or '))
  return { files, missing }
}
