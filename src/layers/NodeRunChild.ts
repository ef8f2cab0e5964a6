/**
 * A child process sharing rdd's stdin, stdout and stderr (`rdd run`): its exit
 * status, 255 when a signal ended it (as the Go tool reports it); a command that
 * cannot be started is `run <cmd>: <os error>`. Interrupting the fiber ends the child.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { Failure } from "../domain/Errors.js"
import { RunChild } from "../services/RunChild.js"

const runChild = (command: string, args: ReadonlyArray<string>, env: Record<string, string>): Effect.Effect<number, Failure> =>
  Effect.async<number, Failure>((resume) => {
    const child = spawn(command, args, { stdio: "inherit", env })
    child.once("error", (e) => resume(Effect.fail(new Failure({ message: `run ${command}: ${e.message}`, cause: e }))))
    child.once("exit", (code) => resume(Effect.succeed(code ?? 255)))
    return Effect.sync(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    })
  })

export const layer = Layer.succeed(RunChild, { inherited: process.env, run: runChild })
