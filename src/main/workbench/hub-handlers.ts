import type { HubDownloads } from '../hub/hub-downloads'
import { validateRepoId, validateRevision } from '../hub/hub-names'
import type { ApiHandlers } from '../../shared/ipc/api'
import type { WorkbenchEvents } from './workbench-events'

type HubMethods = 'hub.download' | 'hub.cancel' | 'hub.cached'

/**
 * Hugging Face downloads for the Model view: `hub.download` answers at once with a job id,
 * progress and the end arrive as `hub.progressed` / `hub.finished` events, and the snapshot is
 * loaded into the workbench when asked. HF settings (token, endpoint, proxy, cache) come from
 * the environment, never from the renderer.
 */
export function hubHandlers(events: WorkbenchEvents, load: (dir: string) => Promise<unknown>): Pick<ApiHandlers, HubMethods> {
  const loadWhenDone = new Set<string>()
  // the hub client (and its HTTP stack) is loaded on the first hub call: a door that never
  // downloads (the CLI's one-shot commands) never pays for it
  let started: Promise<HubDownloads> | null = null
  const hub = () => (started ??= import('../hub/hub-downloads').then(({ HubDownloads }) => new HubDownloads(onEvent)))
  const onEvent: ConstructorParameters<typeof HubDownloads>[0] = (e) => {
    if (e.kind === 'progressed') {
      const { phase, file, bytes, total, rate, etaSeconds } = e.progress
      events.emit('hub.progressed', { jobId: e.jobId, progress: { phase, file, bytes, total, rate, etaSeconds } })
      return
    }
    const r = e.result
    events.emit('hub.finished', {
      jobId: e.jobId,
      result: r.ok
        ? {
            ok: true,
            value: {
              repo: r.value.repo,
              revision: r.value.revision,
              commit: r.value.commit,
              snapshot: r.value.snapshot,
              bytesDownloaded: r.value.bytesDownloaded,
            },
          }
        : r,
    })
    if (r.ok && loadWhenDone.delete(e.jobId)) void load(r.value.snapshot).catch(() => undefined)
  }
  return {
    'hub.download': async ({ repo, revision, load: andLoad }) => {
      // refuse bad names now (bad-request), not later in a hub.finished event
      validateRepoId(repo)
      if (revision) validateRevision(revision)
      const job = (await hub()).start({ repo, ...(revision ? { revision } : {}) })
      if (andLoad) loadWhenDone.add(job.jobId)
      return { jobId: job.jobId, repo: job.repo, revision: job.revision }
    },
    // no download was started before the hub client loaded
    'hub.cancel': async ({ jobId }) => ({ cancelled: started !== null && (await started).cancel(jobId) }),
    'hub.cached': async ({ repo, revision }) => ({
      snapshot: (await (await hub()).cached({ repo, ...(revision ? { revision } : {}) }))?.snapshot ?? null,
    }),
  }
}
