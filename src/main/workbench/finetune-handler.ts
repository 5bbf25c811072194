import type { FinetuneEpochFigures } from '../../shared/ipc/api-types'
import type { ApiHandlers } from '../../shared/ipc/api'
import type { AnalysisContext } from './analysis-handlers'

/**
 * `finetune.run`: sense fine-tuning on canonical examples (docs/finetune.md), run as one request
 * of the model's engine worker — tokenizing, forward passes and training never touch this thread.
 * Each epoch's figures go out as `finetune.progressed` (and `run.progressed`, done = epoch);
 * `run.cancel` stops it mid-epoch with a `cancelled` error and no edit document.
 */
export function finetuneHandler(ctx: AnalysisContext): Pick<ApiHandlers, 'finetune.run'> {
  return {
    'finetune.run': async ({
      examples,
      loss,
      sensesPerExample,
      lambda,
      lr,
      klWeight,
      epochs,
      batchSize,
      maxDegradation,
      seed,
      background,
      name,
      runId,
    }) => {
      const s = ctx.session()
      const run = ctx.track(runId)
      try {
        return await s.engine.finetune(
          {
            examples,
            options: {
              loss,
              sensesPerExample,
              lambda,
              lr,
              klWeight,
              epochs,
              seed,
              ...(batchSize !== undefined ? { batchSize } : {}),
              ...(maxDegradation !== undefined ? { maxDegradation } : {}),
            },
            ...(background !== undefined ? { background: { text: background, source: 'the background text given with the request' } } : {}),
            name: name ?? 'fine-tuned senses',
          },
          {
            signal: run.signal,
            onProgress: (p) => {
              if (!runId || !p.figures) return
              const figures = p.figures as unknown as FinetuneEpochFigures
              ctx.events.emit('finetune.progressed', { runId, figures })
              ctx.events.emit('run.progressed', {
                runId,
                method: 'finetune.run',
                done: figures.epoch,
                total: figures.epochs,
                message: p.message,
              })
            },
          },
        )
      } finally {
        run.done()
      }
    },
  }
}
