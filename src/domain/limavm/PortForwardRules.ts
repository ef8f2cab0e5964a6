/**
 * Which guest TCP listeners are forwarded to which host address, by Lima's rules:
 * the template's `portForwards` are tried in order, then Lima's built-in rules
 * (SSH's port 22 is never forwarded; every other port bound on the guest's
 * loopback or on all addresses goes to the same port on the host's 127.0.0.1).
 * Also reads the guest's listeners out of `/proc/net/tcp{,6}`, which is what the
 * host agent fetches over SSH. Pure.
 */
import type { PortForward } from "./GuestConfig.js"

export interface Listener {
  readonly ip: string
  readonly port: number
}

export interface HostAddress {
  readonly hostIP: string
  readonly hostPort: number
}

/** Lima's defaults, applied after the template's own rules. */
export const builtinRules: ReadonlyArray<PortForward> = [
  { guestIP: "0.0.0.0", guestIPMustBeZero: false, guestPortRange: [22, 22], hostIP: "127.0.0.1", ignore: true },
  { guestIP: "127.0.0.1", guestIPMustBeZero: false, guestPortRange: [1, 65535], hostIP: "127.0.0.1", hostPortRange: [1, 65535], ignore: false }
]

const isUnspecified = (ip: string): boolean => ip === "0.0.0.0" || ip === "::"
const isLoopback = (ip: string): boolean => ip === "::1" || ip.startsWith("127.")

/** The host address for one guest listener, or undefined when no rule forwards it. */
export const hostAddressFor = (rules: ReadonlyArray<PortForward>, listener: Listener): HostAddress | undefined => {
  for (const rule of [...rules, ...builtinRules]) {
    if (rule.guestSocket !== undefined || rule.guestPortRange === undefined) continue
    const [lo, hi] = rule.guestPortRange
    if (listener.port < lo || listener.port > hi) continue
    const ipMatches = rule.guestIPMustBeZero
      ? isUnspecified(listener.ip)
      : isUnspecified(listener.ip) || listener.ip === rule.guestIP ||
        (isLoopback(listener.ip) && isLoopback(rule.guestIP)) || isUnspecified(rule.guestIP)
    if (!ipMatches) continue
    if (rule.ignore) {
      // an ignore rule for one address must not swallow a listener on all addresses
      if (isUnspecified(listener.ip) && !isUnspecified(rule.guestIP)) continue
      return undefined
    }
    const hostLo = (rule.hostPortRange ?? rule.guestPortRange)[0]
    return { hostIP: rule.hostIP, hostPort: hostLo + (listener.port - lo) }
  }
  return undefined
}

/** Rules that forward one fixed guest port: opened at once, before anything listens. */
export const fixedForwards = (rules: ReadonlyArray<PortForward>): ReadonlyArray<{ readonly guest: Listener; readonly host: HostAddress }> =>
  rules.flatMap((r) => {
    if (r.ignore || r.guestSocket !== undefined || r.guestPortRange === undefined) return []
    const [lo, hi] = r.guestPortRange
    if (lo !== hi) return []
    const guestIP = isUnspecified(r.guestIP) ? "127.0.0.1" : r.guestIP
    return [{ guest: { ip: guestIP, port: lo }, host: { hostIP: r.hostIP, hostPort: (r.hostPortRange ?? r.guestPortRange)[0] } }]
  })

const hexToIpv4 = (hex: string): string => {
  // /proc/net/tcp prints the address as one little-endian 32-bit word
  const bytes = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16))
  return bytes.join(".")
}

const hexToIpv6 = (hex: string): string => {
  // four little-endian 32-bit words
  const bytes: Array<number> = []
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8)
    for (const i of [6, 4, 2, 0]) bytes.push(parseInt(word.slice(i, i + 2), 16))
  }
  if (bytes.every((b) => b === 0)) return "::"
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return "::1"
  // IPv4-mapped (::ffff:a.b.c.d)
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join(".")
  const groups: Array<string> = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
  return groups.join(":")
}

const ListenState = "0A"

/** TCP listeners in the text of `/proc/net/tcp` and `/proc/net/tcp6` (concatenated; headers skipped). */
export const parseProcNetTcp = (text: string): ReadonlyArray<Listener> => {
  const seen = new Set<string>()
  const out: Array<Listener> = []
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 4 || cols[3] !== ListenState) continue
    const local = cols[1] ?? ""
    const colon = local.lastIndexOf(":")
    if (colon < 0) continue
    const hex = local.slice(0, colon)
    const port = parseInt(local.slice(colon + 1), 16)
    if (!Number.isInteger(port) || (hex.length !== 8 && hex.length !== 32)) continue
    const ip = hex.length === 8 ? hexToIpv4(hex) : hexToIpv6(hex)
    const key = `${ip}:${port}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push({ ip, port })
    }
  }
  return out
}
