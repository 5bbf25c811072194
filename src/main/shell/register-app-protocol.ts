import { protocol } from 'electron'
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from '../ipc/app-protocol'

/** Before `ready`: makes app:// a standard, secure scheme (an origin of its own). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }])
}

/** After `ready`: serves the built renderer folder at app://workbench/ (see app-protocol.ts). */
export function serveAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(rendererDir))
}
