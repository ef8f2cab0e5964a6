/**
 * `rdd limavm create|start|stop|restart|delete` (SPEC 4.5): parse, run the
 * LimaVmOps program under one deadline, report the outcome (`--output json`).
 * Every verb has `--wait` (default true) and `--timeout` (default 5m, the
 * shared long wait); NAME is found in any namespace except for create.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Deadline from "../../domain/Deadline.js"
import * as Timeouts from "../../domain/Timeouts.js"
import * as LimaVmOps from "../../services/LimaVmOps.js"
import { output, timeout, wait } from "../options.js"
import { runReporting } from "../svc/lifecycle.js"

const name = Args.text({ name: "NAME" }).pipe(Args.withDescription("The LimaVM (VM names are unique across namespaces)"))
const common = (what: string) => ({
  name,
  wait,
  timeout: timeout(Timeouts.LongWaitText, `How long to wait for the VM ${what}`),
  output: output(["text", "json"] as const, "text")
})

const verb = (
  command: "start" | "stop" | "restart",
  what: string,
  description: string,
  program: (o: LimaVmOps.VerbOptions) => ReturnType<typeof LimaVmOps.start>
) =>
  Command.make(command, common(what), (o) =>
    runReporting(
      `limavm ${command}`,
      o.output,
      Effect.flatMap(Deadline.start(o.timeout), (deadline) => program({ name: o.name, wait: o.wait, deadline }))
    )).pipe(Command.withDescription(description))

export const start = verb("start", "to be running", "Start a LimaVM and wait until its guest has booted", LimaVmOps.start)
export const stop = verb("stop", "to stop", "Stop a LimaVM (ACPI power-down, then harder) and wait until it has stopped", LimaVmOps.stop)
export const restart = verb("restart", "to restart", "Restart a LimaVM and wait until it runs again", LimaVmOps.restart)
export const remove = Command.make(
  "delete",
  {
    ...common("to be deleted"),
    ignoreNotFound: Options.boolean("ignore-not-found").pipe(
      Options.withDescription("Succeed (outcome noop) when the VM exists nowhere; without it that is exit 1 \"not found\"")
    )
  },
  (o) =>
    runReporting(
      "limavm delete",
      o.output,
      Effect.flatMap(Deadline.start(o.timeout), (deadline) =>
        LimaVmOps.remove({ name: o.name, wait: o.wait, deadline, ignoreNotFound: o.ignoreNotFound }))
    )
).pipe(Command.withDescription("Delete a LimaVM, its VM and its template ConfigMaps"))

export const create = Command.make(
  "create",
  {
    name: Args.text({ name: "NAME" }).pipe(Args.withDescription("Name of the new LimaVM (unique across namespaces)")),
    template: Args.text({ name: "TEMPLATE" }).pipe(
      Args.withDescription("A ConfigMap (key `template`) in the namespace, or a local file when it contains / or :")
    ),
    namespace: Options.text("namespace").pipe(Options.withAlias("n"), Options.withDefault("default"), Options.withDescription("Namespace of the LimaVM")),
    start: Options.boolean("start").pipe(Options.withDescription("Start the VM once created (and wait for it unless --wait=false)")),
    dryRun: Options.boolean("dry-run").pipe(
      Options.withDescription("Check the create with the API server (admission, template validation) without creating anything")
    ),
    wait,
    timeout: timeout(Timeouts.LongWaitText, "How long to wait for the VM to be running (with --start)"),
    output: output(["text", "json"] as const, "text")
  },
  (o) =>
    runReporting(
      "limavm create",
      o.output,
      Effect.flatMap(Deadline.start(o.timeout), (deadline) =>
        LimaVmOps.create({ namespace: o.namespace, name: o.name, template: o.template, start: o.start, wait: o.wait, dryRun: o.dryRun, deadline }))
    )
).pipe(Command.withDescription("Create a new LimaVM from a template ConfigMap or file"))
