/**
 * The cloud-init NoCloud seed of a LimaVM (the guest contract): every file of the
 * `cidata` ISO, rendered from a structural input that the driver fills from the Lima
 * template. Cloud guests read `user-data`/`meta-data`/`network-config`; guests without
 * cloud-init read `rdd.env`, `authorized_keys` and run `boot.sh`. YAML is produced by
 * the `yaml` library and shell values only ever travel single-quoted in `rdd.env` or as
 * file contents, so no template value is spliced into code.
 *
 * Lima's provision modes, as rdd maps them: `system` runs as root and `user` as the user,
 * from boot.sh in the final stage; `boot` runs early in every boot (cloud-init's bootcmd,
 * or boot/ for other guests) with /bin/sh; `dependency` runs as root before everything else
 * (Lima runs it before its own package installation, which rdd does not do); `data` writes
 * a file (owner root:root and permissions 644 by default) before any script runs, as
 * Lima's boot scripts do.
 */
import * as YAML from "yaml"
import { sha256Hex } from "./Sha256.js"
import { bootScript, hostsSnippet, perBootHook, PerBootHookPath } from "./SeedScripts.js"

export type ProvisionMode = "system" | "user" | "boot" | "dependency" | "data"

export interface SeedProvision {
  readonly mode: ProvisionMode
  readonly script?: string | undefined
  /** data: absolute path in the guest */
  readonly path?: string | undefined
  /** data: the file's content */
  readonly content?: string | undefined
  /** data: octal, default 644 */
  readonly permissions?: string | undefined
  /** data: `user[:group]`, default root:root */
  readonly owner?: string | undefined
}

export interface SeedUser {
  readonly name: string
  readonly uid: number
  readonly home: string
  readonly shell: string
  readonly comment?: string | undefined
}

export interface SeedInput {
  readonly vmName: string
  readonly user: SeedUser
  readonly authorizedKeys: ReadonlyArray<string>
  readonly provision: ReadonlyArray<SeedProvision>
  readonly env: Readonly<Record<string, string>>
  /** the host as seen from the guest; default 192.168.5.2 (QEMU user-mode gateway) */
  readonly hostIp?: string | undefined
}

export interface SeedFile {
  /** relative to the ISO's root */
  readonly path: string
  readonly content: string
  readonly mode?: number
}

export const DefaultHostIp = "192.168.5.2"

const userNamePattern = /^[a-z_][a-z0-9_-]*[$]?$/
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/
const ipPattern = /^[0-9A-Fa-f.:]+$/
const permissionsPattern = /^[0-7]{3,4}$/
const ownerPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/

/** Lima's hostname for an instance: `lima-<name>`, with the characters a hostname cannot have replaced. */
export const hostname = (vmName: string): string => `lima-${vmName}`.replace(/[._]/g, "-")

/** Why this input cannot become a seed (empty when it can). */
export const problems = (input: SeedInput): ReadonlyArray<string> => {
  const out: Array<string> = []
  const { user } = input
  if (!userNamePattern.test(user.name) || user.name.length > 32) out.push(`user name ${JSON.stringify(user.name)} is not a valid Linux user name`)
  if (!Number.isInteger(user.uid) || user.uid < 0 || user.uid > 0xfffffffe) out.push(`uid ${user.uid} is not a valid user id`)
  for (const [what, p] of [["home", user.home], ["shell", user.shell]] as const) {
    if (!p.startsWith("/") || /[\n\0]/.test(p)) out.push(`user ${what} ${JSON.stringify(p)} must be an absolute path`)
  }
  if (user.comment !== undefined && /[\n\0:]/.test(user.comment)) out.push("user comment must not contain a newline or ':'")
  for (const key of input.authorizedKeys) {
    if (/[\r\n\0]/.test(key)) out.push(`authorized key ${JSON.stringify(key.slice(0, 40))} spans several lines`)
  }
  for (const [name, value] of Object.entries(input.env)) {
    if (!envNamePattern.test(name)) out.push(`env name ${JSON.stringify(name)} is not a shell variable name`)
    else if (name.startsWith("RDD_")) out.push(`env name ${name} is reserved (RDD_*)`)
    if (value.includes("\0")) out.push(`env ${name} contains a NUL byte`)
  }
  if (input.hostIp !== undefined && !ipPattern.test(input.hostIp)) out.push(`host IP ${JSON.stringify(input.hostIp)} is not an IP address`)
  input.provision.forEach((p, i) => {
    const where = `provision[${i}] (${p.mode})`
    if (p.mode === "data") {
      if (p.path === undefined || !p.path.startsWith("/") || /[\n\0]/.test(p.path)) out.push(`${where}: path must be an absolute path`)
      if (p.content === undefined) out.push(`${where}: content is required`)
      if (p.permissions !== undefined && !permissionsPattern.test(p.permissions)) out.push(`${where}: permissions must be octal (e.g. 644)`)
      if (p.owner !== undefined && !ownerPattern.test(p.owner)) out.push(`${where}: owner must be user[:group]`)
    } else if (p.script === undefined) {
      out.push(`${where}: script is required`)
    }
  })
  return out
}

const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`

/** RDD_* first, then the template's env, in order: what rdd.env assigns and bootcmd exports. */
const envPairs = (input: SeedInput): ReadonlyArray<readonly [string, string]> => [
  ["RDD_NAME", input.vmName],
  ["RDD_USER", input.user.name],
  ["RDD_UID", String(input.user.uid)],
  ["RDD_HOME", input.user.home],
  ["RDD_SHELL", input.user.shell],
  ["RDD_HOSTNAME", hostname(input.vmName)],
  ["RDD_HOST_IP", input.hostIp ?? DefaultHostIp],
  ...Object.entries(input.env)
]

const pad = (n: number) => String(n).padStart(3, "0")

/**
 * Numbered provision files. The order of the numbers is the order boot.sh runs them in:
 * dependency scripts, then data files, then system and user scripts as the template lists them.
 */
const provisionFiles = (input: SeedInput): ReadonlyArray<SeedFile> => {
  const ordered = [
    ...input.provision.filter((p) => p.mode === "dependency"),
    ...input.provision.filter((p) => p.mode === "data"),
    ...input.provision.filter((p) => p.mode === "system" || p.mode === "user")
  ]
  return ordered.flatMap((p, i): ReadonlyArray<SeedFile> => {
    const n = pad(i + 1)
    if (p.mode === "data") {
      return [
        { path: `provision/${n}-data`, content: p.content ?? "", mode: 0o600 },
        { path: `provision/${n}-data.path`, content: `${p.path ?? ""}\n` },
        { path: `provision/${n}-data.mode`, content: `${p.permissions ?? "644"}\n` },
        { path: `provision/${n}-data.owner`, content: `${p.owner ?? "root:root"}\n` }
      ]
    }
    const kind = p.mode === "user" ? "user" : "system"
    return [{ path: `provision/${n}-${kind}.sh`, content: p.script ?? "", mode: 0o755 }]
  })
}

const bootScripts = (input: SeedInput): ReadonlyArray<string> =>
  input.provision.filter((p) => p.mode === "boot").map((p) => p.script ?? "")

const yamlText = (value: unknown): string => YAML.stringify(value, { lineWidth: 0 })

const userData = (input: SeedInput, keys: ReadonlyArray<string>): string => {
  const env = envPairs(input).map(([k, v]) => `${k}=${v}`)
  const hostIp = input.hostIp ?? DefaultHostIp
  // bootcmd entries in list form: cloud-init single-quotes every element, so the
  // scripts and values are arguments, never shell text of the generated script.
  const bootcmd = [
    ["/bin/sh", "-c", hostsSnippet, "rdd-hosts", hostIp],
    ...bootScripts(input).map((script, i) => ["env", ...env, "/bin/sh", "-c", script, `rdd-boot-${pad(i + 1)}`])
  ]
  const user: Record<string, unknown> = {
    name: input.user.name,
    uid: input.user.uid,
    ...(input.user.comment !== undefined ? { gecos: input.user.comment } : {}),
    homedir: input.user.home,
    shell: input.user.shell,
    sudo: "ALL=(ALL) NOPASSWD:ALL",
    lock_passwd: true,
    ssh_authorized_keys: [...keys]
  }
  return "#cloud-config\n" + yamlText({
    hostname: hostname(input.vmName),
    preserve_hostname: false,
    // keeps cloud-init from regenerating /etc/hosts over host.lima.internal
    manage_etc_hosts: "localhost",
    ssh_pwauth: false,
    disable_root: true,
    users: [user],
    bootcmd,
    write_files: [{ path: PerBootHookPath, owner: "root:root", permissions: "0755", content: perBootHook }]
  })
}

const networkConfig = yamlText({
  version: 2,
  ethernets: {
    "rdd-en": { match: { name: "en*" }, dhcp4: true },
    "rdd-eth": { match: { name: "eth*" }, dhcp4: true }
  }
})

/** Every file of the seed. Throws on an input that `problems` rejects (validate first). */
export const render = (input: SeedInput): ReadonlyArray<SeedFile> => {
  const invalid = problems(input)
  if (invalid.length > 0) throw new Error(`invalid seed input: ${invalid.join("; ")}`)
  const keys = [...new Set(input.authorizedKeys.map((k) => k.trim()).filter((k) => k !== ""))]
  const files: Array<SeedFile> = [
    { path: "user-data", content: userData(input, keys) },
    { path: "network-config", content: networkConfig },
    { path: "rdd.env", content: envPairs(input).map(([k, v]) => `${k}=${shellQuote(v)}\n`).join(""), mode: 0o600 },
    { path: "authorized_keys", content: keys.map((k) => `${k}\n`).join("") },
    { path: "boot.sh", content: bootScript, mode: 0o755 },
    ...bootScripts(input).map((script, i): SeedFile => ({ path: `boot/${pad(i + 1)}.sh`, content: script, mode: 0o755 })),
    ...provisionFiles(input)
  ]
  // the instance-id changes exactly when the seed does, so cloud-init redoes its
  // per-instance work (user, keys, hook) after a template change and only then
  const digest = sha256Hex(files.map((f) => `${f.path}\0${f.mode ?? 0o644}\0${f.content}\0`).join(""))
  const metaData = yamlText({ "instance-id": `rdd-${digest.slice(0, 32)}`, "local-hostname": hostname(input.vmName) })
  return [...files, { path: "meta-data", content: metaData }]
}
