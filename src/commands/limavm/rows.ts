/**
 * What `rdd limavm list` shows of a LimaVM: limactl's columns where they apply
 * (NAME STATUS SSH VMTYPE ARCH CPUS MEMORY DISK DIR), plus the NAMESPACE and
 * RESTARTS of the resource, and in JSON the same facts structured (conditions
 * as objects, timestamps as RFC 3339, sizes in bytes). Pure: the caller reads
 * the LimaVM, its template text and the instance's Lima home.
 */
import * as Either from "effect/Either"
import type { Condition } from "../../domain/KubeObject.js"
import * as LimaTemplate from "../../domain/LimaTemplate.js"
import * as LimaVm from "../../domain/LimaVm.js"

export interface Row {
  readonly name: string
  readonly namespace: string
  /** Running, Starting, Stopped, Pending, Deleting, or the failure reason (StartFailed, ...) */
  readonly status: string
  readonly running: boolean
  /** `127.0.0.1:<port>` once the status carries the forwarded SSH port */
  readonly ssh: string | null
  readonly vmType: string | null
  readonly arch: string | null
  /** null: the template leaves it to the driver's default */
  readonly cpus: number | null
  readonly memoryBytes: number | null
  readonly diskBytes: number | null
  /** the VM's directory (Lima's instance directory) */
  readonly dir: string
  readonly restarts: number
  readonly conditions: ReadonlyArray<Condition>
  /** RFC 3339 */
  readonly creationTimestamp: string | null
}

const failureReasons: ReadonlySet<string> = new Set([
  LimaVm.Reasons.CreateFailed,
  LimaVm.Reasons.StartFailed,
  LimaVm.Reasons.StopFailed
])

/** One word for the VM's state, read from its conditions (limactl's STATUS). */
export const statusOf = (vm: LimaVm.LimaVm): string => {
  if (vm.deleting) return "Deleting"
  const running = LimaVm.condition(vm, LimaVm.ConditionTypes.Running)
  const created = LimaVm.condition(vm, LimaVm.ConditionTypes.Created)
  for (const c of [running, created]) if (c?.reason !== undefined && failureReasons.has(c.reason)) return c.reason
  if (running?.status === "True") return "Running"
  if (running?.reason === LimaVm.Reasons.Starting) return "Starting"
  if (created?.status !== "True") return "Pending"
  return "Stopped"
}

/** The forwarded SSH port, once the controller records it (`status.sshLocalPort`). */
const sshOf = (vm: LimaVm.LimaVm): string | null => {
  const status = vm.object["status"]
  const port = typeof status === "object" && status !== null ? (status as Record<string, unknown>)["sshLocalPort"] : undefined
  return typeof port === "number" && Number.isInteger(port) && port > 0 ? `127.0.0.1:${port}` : null
}

export interface RowInput {
  readonly vm: LimaVm.LimaVm
  /** the template copy's text, when it could be read */
  readonly template: string | undefined
  /** the VM's directory under the instance's Lima home */
  readonly dir: string
  /** Lima's default arch (the host's) */
  readonly hostArch: LimaTemplate.Arch
}

export const rowOf = ({ dir, hostArch, template, vm }: RowInput): Row => {
  const t = template === undefined
    ? undefined
    : Either.getOrUndefined(LimaTemplate.parse(LimaTemplate.expand(template, vm.name), { hostArch }))
  return {
    name: vm.name,
    namespace: vm.namespace,
    status: statusOf(vm),
    running: vm.spec.running,
    ssh: sshOf(vm),
    vmType: t?.vmType ?? null,
    arch: t?.arch ?? null,
    cpus: t?.cpus ?? null,
    memoryBytes: t?.memoryBytes ?? null,
    diskBytes: t?.diskBytes ?? null,
    dir,
    restarts: vm.status.restartCount,
    conditions: vm.status.conditions,
    creationTimestamp: vm.object.metadata.creationTimestamp ?? null
  }
}

/** limactl's sizes: 4GiB, 512MiB, 1.5GiB. */
export const formatBytes = (bytes: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const
  let i = 0
  let n = bytes
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${Number(n.toFixed(2))}${units[i]}`
}

const orDash = (v: string | number | null): string => (v === null ? "-" : String(v))

export const Header = ["NAME", "NAMESPACE", "STATUS", "SSH", "VMTYPE", "ARCH", "CPUS", "MEMORY", "DISK", "RESTARTS", "DIR"] as const

export const table = (rows: ReadonlyArray<Row>): string => {
  const cells = rows.map((r) => [
    r.name,
    r.namespace,
    r.status,
    orDash(r.ssh),
    orDash(r.vmType),
    orDash(r.arch),
    orDash(r.cpus),
    r.memoryBytes === null ? "-" : formatBytes(r.memoryBytes),
    r.diskBytes === null ? "-" : formatBytes(r.diskBytes),
    String(r.restarts),
    r.dir
  ])
  const widths = Header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  return [[...Header], ...cells]
    .map((line) => line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]! + 3))).join(""))
    .join("\n")
}
