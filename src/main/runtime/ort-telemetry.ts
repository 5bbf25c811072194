/**
 * Turns off onnxruntime's own telemetry for this process. It must run on the main thread before
 * the first session opens anywhere in the process: onnxruntime reads the variable from the
 * process environment, which a worker's `process.env` (a copy) does not reach. Besides keeping
 * usage data at home, this avoids a crash: on Linux the telemetry start-up reads
 * /proc/self/cmdline and matches it with a recursive regular expression on the thread that opens
 * the first session, which overflows a worker's 4 MB stack once the command line passes ~18 KB
 * (a CLI prompt of a few thousand tokens) and kills the process with SIGSEGV. An explicit
 * ORT_DISABLE_TELEMETRY in the environment is left as it is. (Its own file: the calling thread
 * must not load onnxruntime-node, see docs/engine.md.)
 */
export function disableOrtTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1'
}
