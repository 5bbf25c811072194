import { join } from 'node:path'
import { GRAPH_NAMES, GRAPHS } from '../../src/shared/model/graph-io'
import { createSession } from '../../src/main/runtime/ort'

/**
 * Where a cached open goes, per graph: `npx tsx tools/bench/load-probe.ts <export dir> [prepacked|mapped]`
 * creates the four sessions of a converted export (the conversion cache's `<hash>` folder) the
 * way EngineCore does, and prints wall and CPU time (user + system, all threads) per session and
 * the resident memory after. CPU time is the steadier figure on a shared machine.
 */
const [dir, layout = 'prepacked'] = process.argv.slice(2)
if (!dir || (layout !== 'prepacked' && layout !== 'mapped')) throw new Error('usage: load-probe.ts <export dir> [prepacked|mapped]')
const total = { t: performance.now(), c: process.cpuUsage() }
for (const g of GRAPH_NAMES) {
  const t = performance.now()
  const c = process.cpuUsage()
  await createSession(join(dir, GRAPHS[g].file), 'cpu', { spinning: false, prepack: layout === 'prepacked' })
  const u = process.cpuUsage(c)
  process.stdout.write(
    `${layout} ${g}: wall ${(performance.now() - t).toFixed(0)} ms, cpu ${((u.user + u.system) / 1000).toFixed(0)} ms (system ${(u.system / 1000).toFixed(0)})\n`,
  )
}
const u = process.cpuUsage(total.c)
process.stdout.write(
  `${layout} all: wall ${(performance.now() - total.t).toFixed(0)} ms, cpu ${((u.user + u.system) / 1000).toFixed(0)} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\n`,
)
