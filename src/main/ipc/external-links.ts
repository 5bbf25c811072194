/**
 * Which links the app may hand to the system browser (`shell.openExternal`): https only, to a host
 * the app links to, with no credentials in the URL. The renderer links to no outside page today,
 * so the list is empty and every window.open / target=_blank is simply denied; add a host here
 * when the UI gains a link to it (exact host names, no wildcards).
 */
export const EXTERNAL_LINK_HOSTS: readonly string[] = []

export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_LINK_HOSTS): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '' || parsed.port !== '') return false
  return hosts.includes(parsed.hostname.toLowerCase())
}
