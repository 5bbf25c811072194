/**
 * For long synchronous loops on the main process's thread (softmax over the vocabulary for every
 * position of a long prompt): `maybeYield()` returns to the event loop once at least `everyMs`
 * have passed since the last return, so IPC and serve requests are answered in between.
 */
export function eventLoopYielder(everyMs: number, now: () => number = () => performance.now()): () => Promise<void> {
  let last = now()
  return async () => {
    if (now() - last < everyMs) return
    await new Promise((resolve) => setImmediate(resolve))
    last = now()
  }
}
