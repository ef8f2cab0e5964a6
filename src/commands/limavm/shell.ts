/**
 * `rdd limavm shell NAME [--workdir DIR] [--shell SH] [-- COMMAND ARGS...]`: an
 * interactive login shell in the guest, or one command, over the VM's SSH key
 * (as `limactl shell`). The command's exit status is rdd's; a VM that is not
 * running is exit 1 with what to do.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Deadline from "../../domain/Deadline.js"
import { ChildExit, Failure, NotFound } from "../../domain/Errors.js"
import * as LimaVm from "../../domain/LimaVm.js"
import * as Timeouts from "../../domain/Timeouts.js"
import { ensureRunning } from "../../services/Autostart.js"
import { GuestShell } from "../../services/GuestShell.js"
import * as LimaVmOps from "../../services/LimaVmOps.js"

const q = (s: string) => JSON.stringify(s)

export const shell = Command.make("shell", {
  workdir: Options.text("workdir").pipe(Options.optional, Options.withDescription("Start in this guest directory (fails when it cannot be entered)")),
  shell: Options.text("shell").pipe(Options.optional, Options.withDescription("The guest shell to run (default: the guest user's $SHELL)")),
  name: Args.text({ name: "NAME" }).pipe(Args.withDescription("The LimaVM")),
  command: Args.text({ name: "COMMAND" }).pipe(Args.repeated, Args.withDescription("A command to run instead of an interactive shell (after --)"))
}, (o) =>
  Effect.gen(function*() {
    yield* ensureRunning(yield* Deadline.start(Timeouts.StartWait))
    const vm = yield* LimaVmOps.find(o.name)
    if (Option.isNone(vm)) return yield* new NotFound({ message: `LimaVM ${q(o.name)} not found in any namespace` })
    const running = LimaVm.condition(vm.value, LimaVm.ConditionTypes.Running)
    if (running?.status !== "True") {
      const state = running === undefined ? "unknown" : `${running.reason ?? running.status}${running.message === undefined ? "" : `: ${running.message}`}`
      return yield* new Failure({ message: `instance ${q(o.name)} is not running (status: ${state}), use 'rdd limavm start ${o.name}' first` })
    }
    const code = yield* Effect.flatMap(GuestShell, (g) =>
      g.run({
        name: o.name,
        command: o.command,
        ...(Option.isSome(o.workdir) ? { workdir: o.workdir.value } : {}),
        ...(Option.isSome(o.shell) ? { shell: o.shell.value } : {})
      }))
    if (code !== 0) return yield* new ChildExit({ code, message: `the command in ${q(o.name)} exited with code ${code}` })
  })).pipe(
    Command.withDescription("Open a shell in a running LimaVM, or run a command there (after --)")
  )
