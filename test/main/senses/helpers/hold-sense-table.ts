/**
 * A second process for the sense-table lock tests (run with `node --import tsx`): builds the
 * table of `ArrayEngine(3000, 2, 4, 5)` in argv[2] (f32, chunks of 500 tokens) and pauses inside
 * the build — the folder's lock held — at its first sense-vector call: it prints `building` and
 * goes on when a line arrives on stdin; prints `done` when the table is built.
 */
import { createInterface } from 'node:readline'
import { openSenseTable } from '../../../../src/main/senses/sense-table'
import { ArrayEngine } from '../../interventions/array-engine'

const dir = process.argv[2]
const lines = createInterface({ input: process.stdin })
const go = new Promise<void>((res) => lines.once('line', () => res()))
const engine = new ArrayEngine(3000, 2, 4, 5)
const senseVectors = engine.senseVectors.bind(engine)
let paused = false
engine.senseVectors = async (ids) => {
  if (!paused) {
    paused = true
    process.stdout.write('building\n')
    await go
  }
  return senseVectors(ids)
}
await openSenseTable(engine, { dir, precision: 'f32', chunkTokens: 500 })
process.stdout.write('done\n')
lines.close()
