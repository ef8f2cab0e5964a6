/**
 * `rdd limavm list` and `rdd limavm logs NAME [-f]` (SPEC 4.5). `list` shows
 * limactl's columns (see rows.ts), or JSON; `logs` prints the VM's serial
 * console log and follows it with `-f` (the log is a file of the instance);
 * a VM that does not exist is exit 1, "not found".
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Deadline from "../../domain/Deadline.js"
import { NotFound } from "../../domain/Errors.js"
import { Core } from "../../domain/KubeObject.js"
import * as LimaTemplate from "../../domain/LimaTemplate.js"
import * as LimaVm from "../../domain/LimaVm.js"
import * as Timeouts from "../../domain/Timeouts.js"
import { vmFiles } from "../../domain/limavm/VmFiles.js"
import { ensureRunning } from "../../services/Autostart.js"
import { findDaemon } from "../../services/Daemon.js"
import * as DaemonLog from "../../services/DaemonLog.js"
import { InstanceDir } from "../../services/InstanceDir.js"
import { KubeClient } from "../../services/KubeClient.js"
import { output } from "../options.js"
import * as Rows from "./rows.js"

/** The template copy's text, if it can be read (the list shows "-" for what it would give). */
const templateText = (vm: LimaVm.LimaVm) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const name = vm.status.templateConfigMap ?? LimaVm.templateCopyName(vm.name)
    const cm = yield* kube.get({ type: Core.configmaps, namespace: vm.namespace, name }).pipe(Effect.orElseSucceed(() => Option.none()))
    return Option.getOrUndefined(Option.flatMap(cm, (o) => {
      const data = o["data"]
      const text = typeof data === "object" && data !== null ? (data as Record<string, unknown>)[LimaTemplate.TemplateKey] : undefined
      return typeof text === "string" ? Option.some(text) : Option.none()
    }))
  })

export const list = Command.make("list", { output: output(["table", "json"] as const, "table") }, (o) =>
  Effect.gen(function*() {
    yield* ensureRunning(yield* Deadline.start(Timeouts.StartWait))
    const kube = yield* KubeClient
    const dir = yield* InstanceDir
    // Lima's default arch is the host's; reading the constant is not I/O
    const hostArch = LimaTemplate.archOfNode(process.arch)
    const vms = (yield* kube.list(LimaVm.LimaVmType)).items.map(LimaVm.fromObject)
    const rows = yield* Effect.forEach(vms, (vm) =>
      Effect.map(templateText(vm), (template) =>
        Rows.rowOf({ vm, template, dir: vmFiles(dir.paths.lima_home, vm.name).dir, hostArch })), { concurrency: 8 })
    const sorted = [...rows].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    if (o.output === "json") return yield* Console.log(JSON.stringify(sorted, null, 2))
    if (sorted.length === 0) return yield* Effect.logInfo("No LimaVMs found")
    yield* Console.log(Rows.table(sorted))
  })).pipe(Command.withDescription("List LimaVMs in every namespace"))

/**
 * Whether a LimaVM of this name exists, for a VM without a console log: asked of
 * the API when a control plane runs (logs never starts one); otherwise the VM's
 * directory is the evidence.
 */
const vmExists = (name: string, vmDir: string) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    if (Option.isNone(yield* findDaemon)) return yield* dir.exists(vmDir)
    return yield* Effect.flatMap(KubeClient, (kube) => kube.list(LimaVm.LimaVmType)).pipe(
      Effect.map((l) => l.items.some((o) => o.metadata.name === name)),
      Effect.orElse(() => dir.exists(vmDir))
    )
  })

const logsOptions = {
  name: Args.text({ name: "NAME" }),
  follow: Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("Keep printing new lines (like tail -F)")),
  hostAgent: Options.boolean("host-agent").pipe(
    Options.withDescription("Show the host agent's log (SSH, boot scripts, forwards, mounts) instead of the serial console")
  )
}
const logsHandler = (o: { readonly name: string; readonly follow: boolean; readonly hostAgent: boolean }) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const files = vmFiles(dir.paths.lima_home, o.name)
    if (!(yield* dir.exists(files.serial)) && !(yield* vmExists(o.name, files.dir))) {
      return yield* new NotFound({ message: `LimaVM ${JSON.stringify(o.name)} not found` })
    }
    yield* DaemonLog.show(o.hostAgent ? files.agentLog : files.serial, o.follow)
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Info))

export const logs = Command.make("logs", logsOptions, logsHandler).pipe(Command.withDescription("Show LimaVM logs (the VM's serial console, or --host-agent; -f follows)"))
export const log = Command.make("log", logsOptions, logsHandler).pipe(Command.withDescription("Show LimaVM logs (alias of logs)"))
