/**
 * Child process for the read-only tests: opens the log as the CLI does (no options), prints
 * `{"total", "names", "save"}` where `save` is the error code a save gets (or "saved").
 * Usage: read-log <db path>
 */
import { ExperimentStore } from '../../../../src/main/store/experiment-store'
import { toErrorInfo } from '../../../../src/shared/errors'

try {
  const store = await ExperimentStore.open(process.argv[2])
  const page = await store.list()
  let save = 'saved'
  try {
    await store.save({
      name: 'from the child',
      edits: { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 1, factor: 0 }] },
    })
  } catch (e) {
    save = toErrorInfo(e).code
  }
  await store.close()
  process.stdout.write(JSON.stringify({ total: page.total, names: page.items.map((e) => e.name), save }) + '\n')
} catch (e) {
  process.stdout.write(JSON.stringify({ error: toErrorInfo(e).code }) + '\n')
}
