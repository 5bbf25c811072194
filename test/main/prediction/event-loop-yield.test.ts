import { describe, expect, it } from 'vitest'
import { eventLoopYielder } from '../../../src/main/prediction/event-loop-yield'

describe('eventLoopYielder', () => {
  it('lets queued callbacks run once the interval has passed, and not before', async () => {
    let clock = 0
    const ran: number[] = []
    const maybeYield = eventLoopYielder(20, () => clock)
    setImmediate(() => ran.push(clock))
    clock = 19
    await maybeYield() // 19 ms since the last return: no yield, the callback has not run
    expect(ran).toEqual([])
    clock = 20
    await maybeYield() // 20 ms: yields, the queued callback runs
    expect(ran).toEqual([20])
    setImmediate(() => ran.push(clock))
    clock = 39
    await maybeYield() // measured from the last yield (20): 19 ms, no yield
    expect(ran).toEqual([20])
  })
})
