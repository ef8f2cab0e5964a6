/**
 * GuestShell over OpenSSH: the target comes from the VM's `ssh.config` (port and
 * user of its last start) and its key in the instance directory; ssh runs in the
 * foreground with rdd's stdio, with a terminal when rdd has one.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import * as os from "node:os"
import { Failure } from "../domain/Errors.js"
import { GuestShell, remoteScript } from "../services/GuestShell.js"
import { InstanceDir } from "../services/InstanceDir.js"
import * as GuestAccess from "./qemu/GuestAccess.js"
import { vmFiles } from "./qemu/QemuArgs.js"
import * as Ssh from "./qemu/Ssh.js"

export const layer = Layer.effect(
  GuestShell,
  Effect.map(InstanceDir, (dir) => ({
    run: (request) =>
      Effect.gen(function*() {
        const files = vmFiles(dir.paths.lima_home, request.name)
        const port = GuestAccess.readPort(files)
        const user = GuestAccess.readUser(files)
        if (port === undefined || user === undefined) {
          return yield* new Failure({ message: `instance ${JSON.stringify(request.name)} has no SSH configuration (${files.sshConfig}); is it a console-only guest?` })
        }
        const target = GuestAccess.target(files, request.name, user, port)
        const tty = process.stdin.isTTY === true && process.stdout.isTTY === true
        const extra = [...(tty ? ["-t"] : []), ...(process.env["COLORTERM"] === undefined ? [] : ["-o", "SendEnv=COLORTERM"])]
        const argv = [...Ssh.sshArgs(target, extra), remoteScript(request, Ssh.shellQuote)]
        return yield* Effect.async<number, Failure>((resume) => {
          const child = spawn("ssh", argv, { stdio: "inherit" })
          child.once("error", (e) =>
            resume(Effect.fail(new Failure({ message: `cannot run ssh: ${e.message} (Debian package openssh-client)`, cause: e }))))
          child.once("exit", (code, signal) => resume(Effect.succeed(code ?? 128 + (signal === null ? 0 : (os.constants.signals[signal] ?? 0)))))
          return Effect.sync(() => {
            if (child.exitCode === null) child.kill("SIGTERM")
          })
        })
      })
  }))
)
