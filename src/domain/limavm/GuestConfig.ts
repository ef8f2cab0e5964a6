/**
 * The parts of a Lima template that make a VM usable rather than merely running:
 * the guest user, SSH, provisioning scripts, readiness probes, port and socket
 * forwards, mounts, environment and disk size. Decoded from the template's YAML
 * with Lima's defaults (lima's `default.yaml` and `FillDefault`), validated with
 * messages in Lima's style. Pure: the driver maps these onto the seed, QEMU's
 * flags and the host agent.
 */
import * as LimaSize from "./LimaSize.js"

export const ProvisionModes = ["system", "user", "boot", "dependency", "data"] as const
export type ProvisionMode = (typeof ProvisionModes)[number]

export interface Provision {
  readonly mode: ProvisionMode
  readonly script?: string
  /** mode data: the guest path, its content, permissions (octal text) and owner */
  readonly path?: string
  readonly content?: string
  readonly permissions?: string
  readonly owner?: string
}

export interface Probe {
  readonly description: string
  readonly script: string
  readonly hint?: string
}

export interface PortForward {
  readonly guestIP: string
  readonly guestIPMustBeZero: boolean
  /** inclusive; a single port is [p, p] */
  readonly guestPortRange?: readonly [number, number]
  readonly hostIP: string
  readonly hostPortRange?: readonly [number, number]
  readonly guestSocket?: string
  readonly hostSocket?: string
  readonly ignore: boolean
}

export const MountTypes = ["reverse-sshfs", "9p", "virtiofs"] as const
export type MountType = (typeof MountTypes)[number]

export interface Mount {
  /** host path as written (`~` expanded by the driver) */
  readonly location: string
  /** guest path; Lima's default is the location itself */
  readonly mountPoint?: string
  readonly writable: boolean
}

export interface GuestConfig {
  /** bytes of the VM's disk (Lima's default 100GiB) */
  readonly diskBytes: number
  readonly user: { readonly name?: string; readonly comment?: string; readonly home?: string; readonly shell?: string; readonly uid?: number }
  readonly ssh: { readonly localPort: number; readonly loadDotSSHPubKeys: boolean }
  readonly provision: ReadonlyArray<Provision>
  readonly probes: ReadonlyArray<Probe>
  readonly portForwards: ReadonlyArray<PortForward>
  readonly mounts: ReadonlyArray<Mount>
  readonly mountType: MountType
  /** the template's `env`, plus each `param` as PARAM_<name> (Lima exports params to provision scripts) */
  readonly env: Readonly<Record<string, string>>
  /** Lima's `param:`; `{{.Param.NAME}}` in scripts, sockets and mount paths is replaced by its value */
  readonly param: Readonly<Record<string, string>>
}

/** `{{.Param.NAME}}` (Go template spelling, spaces allowed) replaced by the param's value; unknown names stay. */
export const expandParams = (text: string, param: Readonly<Record<string, string>>): string =>
  text.replace(/\{\{\s*\.Param\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (whole, name: string) => param[name] ?? whole)

export const DefaultDiskBytes = 100 * 1024 ** 3

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Decodes the guest fields of a template's root mapping; shape errors and
 * validation errors are pushed to `errors` (the caller reports them all at once).
 */
export const decode = (
  root: Record<string, unknown>,
  errors: Array<string>
): { readonly config: GuestConfig; readonly invalid: ReadonlyArray<string> } => {
  const invalid: Array<string> = []
  const str = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null) return undefined
    if (typeof v === "string") return v
    if (typeof v === "number" || typeof v === "boolean") return String(v)
    errors.push(`field \`${field}\`: cannot unmarshal ${typeof v} into string`)
    return undefined
  }
  const bool = (v: unknown, field: string, fallback: boolean): boolean => {
    if (v === undefined || v === null) return fallback
    if (typeof v === "boolean") return v
    errors.push(`field \`${field}\`: cannot unmarshal ${JSON.stringify(v)} into bool`)
    return fallback
  }
  const int = (v: unknown, field: string): number | undefined => {
    if (v === undefined || v === null) return undefined
    if (typeof v === "number" && Number.isInteger(v)) return v
    errors.push(`field \`${field}\`: cannot unmarshal ${JSON.stringify(v)} into int`)
    return undefined
  }
  const list = (v: unknown, field: string): ReadonlyArray<Record<string, unknown>> => {
    if (v === undefined || v === null) return []
    if (!Array.isArray(v)) {
      errors.push(`field \`${field}\`: cannot unmarshal ${typeof v} into a list`)
      return []
    }
    return v.flatMap((item, i) => {
      if (isRecord(item)) return [item]
      errors.push(`field \`${field}[${i}]\`: cannot unmarshal ${typeof item} into a mapping`)
      return []
    })
  }
  const mapping = (v: unknown, field: string): Record<string, unknown> => {
    if (v === undefined || v === null) return {}
    if (isRecord(v)) return v
    errors.push(`field \`${field}\`: cannot unmarshal ${typeof v} into a mapping`)
    return {}
  }

  const param: Record<string, string> = {}
  for (const [k, v] of Object.entries(mapping(root["param"], "param"))) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) invalid.push(`field \`param\`: ${JSON.stringify(k)} is not a valid parameter name`)
    param[k] = str(v, `param.${k}`) ?? ""
  }
  const x = (s: string | undefined): string | undefined => (s === undefined ? undefined : expandParams(s, param))

  const rawDisk = str(root["disk"], "disk")
  const diskBytes = rawDisk === undefined ? DefaultDiskBytes : LimaSize.parse(rawDisk)
  if (diskBytes === undefined) invalid.push(`field \`disk\` has an invalid value: invalid size: '${rawDisk}'`)

  const u = mapping(root["user"], "user")
  const user = {
    ...optional("name", str(u["name"], "user.name")),
    ...optional("comment", str(u["comment"], "user.comment")),
    ...optional("home", str(u["home"], "user.home")),
    ...optional("shell", str(u["shell"], "user.shell")),
    ...optional("uid", int(u["uid"], "user.uid"))
  }
  if (user.name !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(user.name)) {
    invalid.push(`field \`user.name\` must match ^[a-z_][a-z0-9_-]{0,31}$; got ${JSON.stringify(user.name)}`)
  }

  const s = mapping(root["ssh"], "ssh")
  const localPort = int(s["localPort"], "ssh.localPort") ?? 0
  if (localPort < 0 || localPort > 65535) invalid.push(`field \`ssh.localPort\` must be 0..65535; got ${localPort}`)
  const ssh = { localPort, loadDotSSHPubKeys: bool(s["loadDotSSHPubKeys"], "ssh.loadDotSSHPubKeys", false) }

  const provision = list(root["provision"], "provision").map((p, i): Provision => {
    const at = `provision[${i}]`
    const mode = str(p["mode"], `${at}.mode`) ?? "system"
    if (!(ProvisionModes as ReadonlyArray<string>).includes(mode)) {
      invalid.push(`field \`${at}.mode\` must be one of ${ProvisionModes.map((m) => JSON.stringify(m)).join(", ")}; got ${JSON.stringify(mode)}`)
    }
    const script = x(str(p["script"], `${at}.script`))
    const path = x(str(p["path"], `${at}.path`))
    const content = x(str(p["content"], `${at}.content`))
    if (mode === "data") {
      if (path === undefined || !path.startsWith("/")) invalid.push(`field \`${at}.path\` must be an absolute path for mode "data"`)
      if (content === undefined) invalid.push(`field \`${at}.content\` must be set for mode "data"`)
    } else if (script === undefined || script.trim() === "") {
      invalid.push(`field \`${at}.script\` must not be empty`)
    }
    return {
      mode: mode as ProvisionMode,
      ...optional("script", script),
      ...optional("path", path),
      ...optional("content", content),
      ...optional("permissions", str(p["permissions"], `${at}.permissions`)),
      ...optional("owner", str(p["owner"], `${at}.owner`))
    }
  })

  const probes = list(root["probes"], "probes").map((p, i): Probe => {
    const at = `probes[${i}]`
    const mode = str(p["mode"], `${at}.mode`) ?? "readiness"
    if (mode !== "readiness") invalid.push(`field \`${at}.mode\` can only be "readiness"; got ${JSON.stringify(mode)}`)
    const script = x(str(p["script"], `${at}.script`)) ?? ""
    if (script.trim() === "") invalid.push(`field \`${at}.script\` must not be empty`)
    return {
      description: str(p["description"], `${at}.description`) ?? `user probe ${i + 1}/${Array.isArray(root["probes"]) ? root["probes"].length : 1}`,
      script,
      ...optional("hint", x(str(p["hint"], `${at}.hint`)))
    }
  })

  const portForwards = list(root["portForwards"], "portForwards").map((f, i) =>
    decodeForward(f, `portForwards[${i}]`, (v, field) => x(str(v, field)), bool, int, invalid))

  const rawMountType = str(root["mountType"], "mountType") ?? "reverse-sshfs"
  if (!(MountTypes as ReadonlyArray<string>).includes(rawMountType)) {
    invalid.push(`field \`mountType\` must be one of ${MountTypes.map((m) => JSON.stringify(m)).join(", ")}; got ${JSON.stringify(rawMountType)}`)
  }
  const mounts = list(root["mounts"], "mounts").map((m, i): Mount => {
    const at = `mounts[${i}]`
    const location = x(str(m["location"], `${at}.location`)) ?? ""
    if (location === "") invalid.push(`field \`${at}.location\` must not be empty`)
    const mountPoint = x(str(m["mountPoint"], `${at}.mountPoint`))
    if (mountPoint !== undefined && !mountPoint.startsWith("/")) invalid.push(`field \`${at}.mountPoint\` must be an absolute path; got ${JSON.stringify(mountPoint)}`)
    return { location, ...optional("mountPoint", mountPoint), writable: bool(m["writable"], `${at}.writable`, false) }
  })

  const rawEnv = mapping(root["env"], "env")
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(rawEnv)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) invalid.push(`field \`env\`: ${JSON.stringify(k)} is not a valid environment variable name`)
    env[k] = str(v, `env.${k}`) ?? ""
  }
  for (const [k, v] of Object.entries(param)) env[`PARAM_${k}`] = v

  const config: GuestConfig = {
    diskBytes: diskBytes ?? DefaultDiskBytes,
    user,
    ssh,
    provision,
    probes,
    portForwards,
    mounts,
    mountType: rawMountType as MountType,
    env,
    param
  }
  return { config, invalid }
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

const decodeForward = (
  f: Record<string, unknown>,
  at: string,
  str: (v: unknown, field: string) => string | undefined,
  bool: (v: unknown, field: string, fallback: boolean) => boolean,
  int: (v: unknown, field: string) => number | undefined,
  invalid: Array<string>
): PortForward => {
  const range = (single: string, ranged: string): readonly [number, number] | undefined => {
    const port = int(f[single], `${at}.${single}`)
    const r = f[ranged]
    if (r !== undefined && r !== null) {
      if (!Array.isArray(r) || r.length !== 2 || !r.every((n) => typeof n === "number" && Number.isInteger(n))) {
        invalid.push(`field \`${at}.${ranged}\` must be a list of two ports`)
        return undefined
      }
      const [lo, hi] = r as [number, number]
      if (lo < 1 || hi > 65535 || lo > hi) invalid.push(`field \`${at}.${ranged}\` must be within 1..65535 and ordered; got [${lo}, ${hi}]`)
      return [lo, hi]
    }
    if (port === undefined) return undefined
    if (port < 1 || port > 65535) invalid.push(`field \`${at}.${single}\` must be within 1..65535; got ${port}`)
    return [port, port]
  }
  const guestSocket = str(f["guestSocket"], `${at}.guestSocket`)
  const hostSocket = str(f["hostSocket"], `${at}.hostSocket`)
  const guestPortRange = range("guestPort", "guestPortRange")
  const hostPortRange = range("hostPort", "hostPortRange") ?? guestPortRange
  const proto = str(f["proto"], `${at}.proto`) ?? "tcp"
  if (proto !== "tcp" && proto !== "any") invalid.push(`field \`${at}.proto\` must be "tcp" (UDP is not forwarded over SSH); got ${JSON.stringify(proto)}`)
  if (guestSocket !== undefined) {
    if (hostSocket === undefined) invalid.push(`field \`${at}.hostSocket\` must be set with guestSocket`)
    if (!guestSocket.startsWith("/")) invalid.push(`field \`${at}.guestSocket\` must be an absolute path; got ${JSON.stringify(guestSocket)}`)
  } else if (guestPortRange === undefined && !bool(f["ignore"], `${at}.ignore`, false)) {
    invalid.push(`field \`${at}\` needs guestPort, guestPortRange or guestSocket`)
  }
  if (guestPortRange !== undefined && hostPortRange !== undefined &&
    guestPortRange[1] - guestPortRange[0] !== hostPortRange[1] - hostPortRange[0]) {
    invalid.push(`field \`${at}.hostPortRange\` must have the same length as guestPortRange`)
  }
  return {
    guestIP: str(f["guestIP"], `${at}.guestIP`) ?? "127.0.0.1",
    guestIPMustBeZero: bool(f["guestIPMustBeZero"], `${at}.guestIPMustBeZero`, false),
    ...(guestPortRange === undefined ? {} : { guestPortRange }),
    hostIP: str(f["hostIP"], `${at}.hostIP`) ?? "127.0.0.1",
    ...(hostPortRange === undefined ? {} : { hostPortRange }),
    ...optional("guestSocket", guestSocket),
    ...optional("hostSocket", hostSocket),
    ignore: bool(f["ignore"], `${at}.ignore`, false)
  }
}
