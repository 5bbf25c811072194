import type { Flag } from '../cli-command'

/*
 * The flag tables of the analysis commands, in a module that imports nothing else: `info` and
 * `help` read them without loading the engine, the tokenizer or the session code.
 */

/** Flags every analysis command (senses, neighbours, reverse, predict, attribute) takes. */
export const ENGINE_FLAGS = {
  checkpoint: {
    type: 'string',
    description: 'checkpoint directory (Hugging Face layout); converted to ONNX once, cached',
    defaultText: 'the bundled demo model',
  },
  onnx: { type: 'string', description: 'an exported ONNX directory to run instead of --checkpoint' },
  provider: { type: 'string', description: 'onnxruntime execution provider: auto, cpu, cuda, …', defaultText: 'auto' },
} as const satisfies Record<string, Flag>

/** --text / --ids: the prompt, exactly one of them (see promptRequest). */
export const PROMPT_FLAGS = {
  text: { type: 'string', description: 'the prompt as text (tokenized with GPT-2 BPE); or --ids' },
  ids: { type: 'string', description: 'the prompt as comma-separated token ids; or --text' },
} as const satisfies Record<string, Flag>

/** --edits FILE (read and validated by the handler table: cli-workbench.ts editsRequest). */
export const EDITS_FLAG = {
  edits: { type: 'string', description: 'a sense-edit document (JSON) to run under', defaultText: 'none' },
} as const satisfies Record<string, Flag>
