/**
 * `rdd run COMMAND [ARGS...]` (reference go-rdd-cli-surface 5.3): starts the App
 * (`set running=true`, waiting up to 5m; Kubernetes enabled first when the App
 * does not exist and the command is kubectl or helm), then runs the command as a
 * child with the instance's PATH, DOCKER_CONTEXT and KUBECONFIG, sharing rdd's
 * stdio, and exits with its status. cli.ts hands every word after `run` over
 * untouched (CommandLine.PassThroughCommands).
 */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Deadline from "../domain/Deadline.js"
import { ChildExit, UsageError } from "../domain/Errors.js"
import * as RunCommand from "../domain/RunCommand.js"
import * as Timeouts from "../domain/Timeouts.js"
import { RunChild } from "../services/RunChild.js"
import * as AppSettings from "../services/AppSettings.js"
import * as AppTemplate from "../services/AppTemplate.js"
import { ensureRunning } from "../services/Autostart.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { passThroughArgs } from "./kubectl.js"

const startApp = (command: string) =>
  Effect.gen(function*() {
    const deadline = yield* Deadline.start(Duration.decode(Timeouts.LongWait))
    yield* ensureRunning(deadline)
    const exists = Option.isSome(yield* AppSettings.getApp(deadline))
    const appTemplate = yield* AppTemplate.fromEnv
    const assignments = [
      ...(!exists && RunCommand.needsKubernetes(command) ? [{ path: "kubernetes.enabled", raw: "true" }] : []),
      { path: "running", raw: "true" }
    ]
    yield* AppSettings.set(assignments, { dryRun: false, wait: true, appTemplate }, deadline)
  })

export const run = Command.make("run", { args: passThroughArgs }, ({ args }) =>
  Effect.gen(function*() {
    const request = RunCommand.parse(args)
    if (request._tag === "Help") return yield* Console.log(RunCommand.help)
    if (request._tag === "Usage") return yield* new UsageError({ message: request.message })
    yield* startApp(request.command)
    const dir = yield* InstanceDir
    const child = yield* RunChild
    const env = RunCommand.childEnv(child.inherited, { suffix: dir.instance.suffix, shortDir: dir.paths.short_dir })
    const code = yield* child.run(request.command, request.args, env)
    if (code !== 0) return yield* new ChildExit({ code, message: `${request.command} exited with code ${code}` })
  })).pipe(Command.withDescription("Run a command with the instance's PATH, DOCKER_CONTEXT and KUBECONFIG, after starting the app"))
