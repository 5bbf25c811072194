// @ts-check
import { join } from 'node:path'
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses'

/**
 * electron-builder's afterPack hook (electron-builder.yml: `afterPack`): sets the Electron Fuses
 * of the packaged binary before it is signed, so that it cannot be turned into a general Node or
 * made to run code from outside the app:
 *
 * - RunAsNode off: `ELECTRON_RUN_AS_NODE` no longer makes the app a plain Node.
 * - NODE_OPTIONS and `--inspect` arguments off: no code injection at launch.
 * - cookie encryption on: the session's cookies are encrypted at rest with the OS keystore.
 * - embedded ASAR integrity on and only-load-from-ASAR on: the app runs only from its app.asar,
 *   checked against the hash electron-builder embeds (macOS and Windows; Electron does not check
 *   it on Linux).
 * - the file:// extra privileges off: the renderer is served from app://, never file://.
 * - the browser-process V8 snapshot left as it is (off by default).
 *
 * After flipping, the wire is read back and any fuse not in its intended state fails the build.
 */

/** @type {import('@electron/fuses').FuseV1Config} */
export const FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
}

/** builder-util's `Arch` values of the architectures whose macOS builds are ad-hoc signed */
const ARM64 = 3
const UNIVERSAL = 4
/** the state bytes @electron/fuses reads back ('0' and '1') */
const ENABLED = 49
const DISABLED = 48

/**
 * Where the packaged Electron binary is (as electron-builder's own fuse step finds it).
 * @param {import('app-builder-lib').AfterPackContext} context
 */
export function electronBinaryPath(context) {
  const platform = context.electronPlatformName
  const packager = /** @type {{ executableName?: string, appInfo: { productFilename: string } }} */ (
    /** @type {unknown} */ (context.packager)
  )
  if (platform === 'linux') return join(context.appOutDir, packager.executableName ?? packager.appInfo.productFilename)
  if (platform === 'win32') return join(context.appOutDir, `${packager.appInfo.productFilename}.exe`)
  if (platform === 'darwin' || platform === 'mas') return join(context.appOutDir, `${packager.appInfo.productFilename}.app`)
  throw new Error(`after-pack: no Electron binary known for platform ${JSON.stringify(platform)}`)
}

/** @param {import('app-builder-lib').AfterPackContext} context */
export async function afterPack(context) {
  const binary = electronBinaryPath(context)
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas'
  // flipping fuses invalidates the ad-hoc signature of an arm64 macOS binary: re-sign it ad hoc
  await flipFuses(binary, { ...FUSES, resetAdHocDarwinSignature: darwin && (context.arch === ARM64 || context.arch === UNIVERSAL) })
  const wire = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (await getCurrentFuseWire(binary)))
  for (const [key, want] of Object.entries(FUSES)) {
    if (key === 'version') continue
    if (wire[key] !== (want ? ENABLED : DISABLED)) {
      throw new Error(
        `after-pack: fuse ${FuseV1Options[Number(key)]} of ${binary} is ${JSON.stringify(wire[key])} after flipping, expected ${want ? 'enabled' : 'disabled'}`,
      )
    }
  }
}

export default afterPack
