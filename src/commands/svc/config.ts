/** `rdd svc config [--timeout=90s]` (SPEC 2.6): autostart, then the kubeconfig on stdout. */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Deadline from "../../domain/Deadline.js"
import { Failure } from "../../domain/Errors.js"
import * as Timeouts from "../../domain/Timeouts.js"
import { ensureRunning } from "../../services/Autostart.js"
import { InstanceDir } from "../../services/InstanceDir.js"
import { timeout } from "../options.js"

export const config = Command.make(
  "config",
  { timeout: timeout(Timeouts.StartWaitText, "How long to wait for the control plane (autostart is capped at 90s)") },
  (o) =>
    Effect.gen(function*() {
      const dir = yield* InstanceDir
      yield* ensureRunning(yield* Deadline.start(o.timeout))
      const text = yield* dir.readFile(dir.paths.config)
      if (Option.isNone(text)) {
        return yield* new Failure({ message: `could not read config from ${dir.paths.config} (the control plane may be stopping)` })
      }
      yield* Console.log(text.value.replace(/\n$/, ""))
    })
).pipe(
  Command.withDescription("Print the control plane's kubeconfig (starting the control plane if needed)")
)
