import { describe, expect, it, vi } from 'vitest'
import { fakeEvent, FakeSession } from './fake-electron'

vi.mock('electron', async () => (await import('./fake-electron')).electron)

const { lockDownSession } = await import('../../../src/main/shell/lock-down-session')

describe('lockDownSession', () => {
  it('denies every permission request and check, and every device permission', () => {
    const ses = new FakeSession()
    lockDownSession(ses as never)
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'hid',
      'serial',
      'usb',
      'fullscreen',
      'openExternal',
    ]) {
      const callback = vi.fn()
      ses.permissionRequest!(null, permission, callback)
      expect(callback, permission).toHaveBeenCalledWith(false)
      expect(ses.permissionCheck!(null, permission), permission).toBe(false)
    }
    for (const deviceType of ['hid', 'serial', 'usb'])
      expect(ses.devicePermission!({ deviceType, origin: 'app://workbench', device: {} }), deviceType).toBe(false)
  })

  it('cancels the HID, serial and USB choosers instead of picking a device', () => {
    const ses = new FakeSession()
    lockDownSession(ses as never)
    const cases: [string, unknown[], unknown[]][] = [
      ['select-hid-device', [{ deviceList: [{ deviceId: 'k' }] }], []],
      ['select-serial-port', [[{ portId: 'p' }], null], ['']],
      ['select-usb-device', [{ deviceList: [{ deviceId: 'u' }] }], []],
    ]
    for (const [name, args, cancel] of cases) {
      const event = fakeEvent()
      const callback = vi.fn()
      ses.emit(name, event, ...args, callback)
      expect(event.defaultPrevented, name).toBe(true)
      expect(callback, name).toHaveBeenCalledWith(...cancel)
    }
  })

  it('refuses Bluetooth pairing (Windows and Linux), and applies once per session', () => {
    const ses = new FakeSession()
    lockDownSession(ses as never)
    lockDownSession(ses as never)
    expect(ses.listenerCount('select-hid-device')).toBe(1)
    if (process.platform !== 'darwin') {
      const callback = vi.fn()
      ses.bluetoothPairing!({ pairingKind: 'confirm' }, callback)
      expect(callback).toHaveBeenCalledWith({ confirmed: false })
    }
  })
})
