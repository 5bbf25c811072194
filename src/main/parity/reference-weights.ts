import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import type { CheckpointTensor } from '../checkpoint/read-checkpoint'

/**
 * The checkpoint's canonical tensors (backpack-spec.md §2.2) as the reference forward pass reads
 * them: by name, with the shape the config implies checked on every lookup. E is read once under
 * `backpack.gpt2_model.wte.weight` and serves as word embedding and (tied) LM head alike.
 */
export class ReferenceWeights {
  readonly config: BackpackConfig
  readonly #tensors: ReadonlyMap<string, CheckpointTensor>

  constructor(config: BackpackConfig, tensors: ReadonlyMap<string, CheckpointTensor>) {
    this.config = config
    this.#tensors = tensors
  }

  /** The tensor's values; throws checkpoint-shape when it is missing or shaped otherwise. */
  get(name: string, shape: readonly number[]): Float32Array {
    const t = this.#tensors.get(name)
    if (!t) throw new WorkbenchError('checkpoint-shape', `tensor "${name}" is missing from the checkpoint`)
    if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
      throw new WorkbenchError('checkpoint-shape', `tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`)
    }
    return t.data
  }

  /** E (vocab, d_model): word embedding and tied LM head. */
  embedding(): Float32Array {
    return this.get('backpack.gpt2_model.wte.weight', [this.config.vocabSize, this.config.nEmbd])
  }
}
