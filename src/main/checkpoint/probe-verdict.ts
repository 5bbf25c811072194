import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MANIFEST_FILE } from './onnx/onnx-manifest'

/*
 * The overflow probe's verdict as an export's manifest records it (the probe itself:
 * forward-probe.ts). Small on purpose: a cached load reads it without loading the probe.
 */

export const PROBE_VERSION = 1

export interface ProbeVerdict {
  version: number
  /** token ids and their position ids (one per token) */
  ids: number[]
  positions: number[]
  /** largest |logit| of the probe, for the record */
  maxAbsLogit: number
}

/** Rewrites an export's manifest (just written by the converter) with the probe's verdict in it. */
export function recordProbeVerdict<M extends object>(exportDir: string, manifest: M, verdict: ProbeVerdict): M & { probe: ProbeVerdict } {
  const out = { ...manifest, probe: verdict }
  writeFileSync(join(exportDir, MANIFEST_FILE), JSON.stringify(out, null, 2) + '\n')
  return out
}

/** Whether an export's manifest carries a passing verdict of the current probe (a property read: free on a cached load). */
export function hasProbeVerdict(manifest: object): boolean {
  const p = (manifest as { probe?: Partial<ProbeVerdict> }).probe
  return typeof p === 'object' && p !== null && p.version === PROBE_VERSION
}
