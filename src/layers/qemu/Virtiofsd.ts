/**
 * The host side of a virtiofs mount: one `virtiofsd` per shared directory, serving
 * it on a vhost-user socket that QEMU connects to at start. Debian's QEMU 7.2 ships
 * the C daemon at /usr/lib/qemu/virtiofsd (newer systems have the Rust one, with
 * other flags). It is detached, so it outlives a daemon restart with its VM, and it
 * exits by itself when QEMU goes away. It needs root (it sandboxes itself with
 * namespaces), so an unprivileged rdd gets a clear StartFailed instead.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { pollUntil } from "../../services/Wait.js"
import { writeFileAtomicSync } from "../NodeInstanceDir.js"

interface Daemon {
  readonly path: string
  readonly args: (socket: string, source: string) => ReadonlyArray<string>
}

const Daemons: ReadonlyArray<Daemon> = [
  { path: "/usr/lib/qemu/virtiofsd", args: (socket, source) => [`--socket-path=${socket}`, "-o", `source=${source}`, "-o", "cache=auto", "-f"] },
  { path: "/usr/libexec/virtiofsd", args: (socket, source) => ["--socket-path", socket, "--shared-dir", source, "--cache", "auto"] },
  { path: "/usr/lib/virtiofsd", args: (socket, source) => ["--socket-path", socket, "--shared-dir", source, "--cache", "auto"] }
]

/** Starts virtiofsd for `source` on `socket` and returns once the socket exists (bounded). */
export const serve = (socket: string, source: string, logFile: string, pidFile: string): Effect.Effect<void, string> =>
  Effect.gen(function*() {
    const daemon = Daemons.find((d) => fs.existsSync(d.path))
    if (daemon === undefined) return yield* Effect.fail("virtiofsd is not installed (Debian: it comes with qemu-system-x86 7.x, or the virtiofsd package)")
    if (process.getuid?.() !== 0) return yield* Effect.fail("virtiofs needs rdd to run as root (virtiofsd sandboxes itself); use mountType reverse-sshfs")
    if (!fs.existsSync(source)) return yield* Effect.fail(`${source} does not exist on the host`)
    fs.rmSync(socket, { force: true })
    const log = fs.openSync(logFile, "a", 0o600)
    const child = spawn(daemon.path, [...daemon.args(socket, source)], { detached: true, stdio: ["ignore", log, log] })
    fs.closeSync(log)
    child.unref()
    if (child.pid !== undefined) writeFileAtomicSync(pidFile, `${child.pid}\n`, 0o600)
    let exited: number | null | undefined
    child.once("exit", (code) => (exited = code))
    yield* pollUntil(
      Effect.suspend(() =>
        exited !== undefined
          ? Effect.fail(`virtiofsd exited (code ${exited}) before serving ${source}; see ${logFile}`)
          : Effect.succeed(fs.existsSync(socket))),
      "50 millis"
    ).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => `virtiofsd did not open ${socket} within 10 s; see ${logFile}` }))
  })
