/**
 * `rdd limavm list` and `rdd limavm logs NAME [-f]` (SPEC 4.5). `list` shows
 * name, namespace, running, conditions, restarts and age (or JSON); `logs`
 * prints the VM's serial console log and follows it with `-f`, without
 * contacting the API (the log is a file of the instance).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Deadline from "../../domain/Deadline.js"
import * as LimaVm from "../../domain/LimaVm.js"
import * as Timeouts from "../../domain/Timeouts.js"
import * as KubeClientLive from "../../layers/KubeClientLive.js"
import { vmFiles } from "../../layers/qemu/QemuArgs.js"
import { ensureRunning } from "../../services/Autostart.js"
import * as DaemonLog from "../../services/DaemonLog.js"
import { InstanceDir } from "../../services/InstanceDir.js"
import { KubeClient } from "../../services/KubeClient.js"
import { output } from "../options.js"

/** kubectl's age format: 45s, 12m, 3h, 2d. */
export const age = (fromIso: string | undefined, nowMillis: number): string => {
  if (fromIso === undefined) return "<unknown>"
  const s = Math.max(0, Math.floor((nowMillis - Date.parse(fromIso)) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m`
  if (s < 172800) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

export interface Row {
  readonly name: string
  readonly namespace: string
  readonly running: boolean
  readonly conditions: string
  readonly restarts: number
  readonly age: string
}

export const rowOf = (vm: LimaVm.LimaVm, now: number): Row => ({
  name: vm.name,
  namespace: vm.namespace,
  running: vm.spec.running,
  conditions: vm.status.conditions.map((c) => `${c.type}=${c.status}${c.reason === undefined ? "" : `(${c.reason})`}`).join(",") || "<none>",
  restarts: vm.status.restartCount,
  age: age(vm.object.metadata.creationTimestamp, now)
})

export const table = (rows: ReadonlyArray<Row>): string => {
  const header = ["NAME", "NAMESPACE", "RUNNING", "CONDITIONS", "RESTARTS", "AGE"]
  const cells = rows.map((r) => [r.name, r.namespace, String(r.running), r.conditions, String(r.restarts), r.age])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  return [header, ...cells].map((line) => line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("")).join("\n")
}

export const list = Command.make("list", { output: output(["table", "json"] as const, "table") }, (o) =>
  Effect.gen(function*() {
    yield* ensureRunning(yield* Deadline.start(Timeouts.StartWait))
    const kube = yield* KubeClient
    const vms = (yield* kube.list(LimaVm.LimaVmType)).items.map(LimaVm.fromObject)
    const now = yield* Clock.currentTimeMillis
    const rows = vms.map((vm) => rowOf(vm, now)).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    if (o.output === "json") return yield* Console.log(JSON.stringify(rows, null, 2))
    if (rows.length === 0) return yield* Effect.logInfo("No LimaVMs found")
    yield* Console.log(table(rows))
  })).pipe(Command.withDescription("List LimaVMs in every namespace"), Command.provide(KubeClientLive.layer))

const logsOptions = {
  name: Args.text({ name: "NAME" }),
  follow: Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("Keep printing new lines (like tail -F)"))
}
const logsHandler = (o: { readonly name: string; readonly follow: boolean }) =>
  Effect.flatMap(InstanceDir, (dir) => DaemonLog.show(vmFiles(dir.paths.lima_home, o.name).serial, o.follow)).pipe(
    Logger.withMinimumLogLevel(LogLevel.Info)
  )

export const logs = Command.make("logs", logsOptions, logsHandler).pipe(Command.withDescription("Show LimaVM logs (the VM's serial console; -f follows)"))
export const log = Command.make("log", logsOptions, logsHandler).pipe(Command.withDescription("Show LimaVM logs (alias of logs)"))
