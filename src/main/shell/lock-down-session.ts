import type { Session } from 'electron'

/**
 * Denies everything a page can ask a session for: permission requests and checks (camera,
 * microphone, notifications, geolocation, clipboard, …), device access (HID, serial, USB) and
 * device choosers (the `select-*-device` events cancel the request rather than pick a device),
 * and Bluetooth pairing. The workbench needs none of them. Idempotent; applied to every session.
 */
const lockedDown = new WeakSet<Session>()

export function lockDownSession(ses: Session): void {
  if (lockedDown.has(ses)) return
  lockedDown.add(ses)
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  ses.setPermissionCheckHandler(() => false)
  ses.setDevicePermissionHandler(() => false)
  ses.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault()
    callback()
  })
  ses.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault()
    callback('')
  })
  ses.on('select-usb-device', (event, _details, callback) => {
    event.preventDefault()
    callback()
  })
  // Windows and Linux only (macOS pairs through the system)
  if (process.platform !== 'darwin') ses.setBluetoothPairingHandler((_details, callback) => callback({ confirmed: false }))
}
