import { WorkbenchError } from '../../shared/errors'
import { GRAPHS, type GraphName } from '../../shared/model/graph-io'
import type { OrtSession } from './ort'

/** Checks that a loaded session has exactly the catalog's input and output names. */
export function checkSessionIo(graph: GraphName, session: OrtSession): void {
  const spec = GRAPHS[graph]
  const want = (list: readonly { name: string }[]) =>
    list
      .map((t) => t.name)
      .sort()
      .join(', ')
  const inputs = [...session.inputNames].sort().join(', ')
  const outputs = [...session.outputNames].sort().join(', ')
  if (inputs !== want(spec.inputs) || outputs !== want(spec.outputs)) {
    throw new WorkbenchError(
      'onnx-model',
      `graph "${spec.file}" has inputs [${inputs}] and outputs [${outputs}]; the catalog (graph-io.ts) expects inputs [${want(spec.inputs)}] and outputs [${want(spec.outputs)}]`,
    )
  }
}
