/**
 * Asking the App's container engine whether it answers, from the host: moby
 * through the forwarded socket (`/_ping`, then `/version` for the version, the
 * two calls `docker` itself starts with), containerd with `ctr version` over the
 * VM's SSH (its socket is root's and is not a Docker API, so it is not
 * forwarded). Every failure is a value: the engine controller reports it.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as http from "node:http"
import type { ContainerEngine } from "../../../domain/App.js"
import type { Probe } from "../../../domain/app/EngineReady.js"
import * as GuestAccess from "../../../layers/qemu/GuestAccess.js"
import { vmFiles } from "../../../domain/limavm/VmFiles.js"
import * as Ssh from "../../../layers/qemu/Ssh.js"

export interface ProbeTarget {
  readonly engine: ContainerEngine
  /** the host end of the forwarded docker socket */
  readonly dockerSocket: string
  readonly limaHome: string
  readonly vmName: string
}

export type EngineProbe = (target: ProbeTarget) => Effect.Effect<Probe>

const RequestTimeout = Duration.seconds(5)

/** One GET over a unix socket; the body when the status is 200. */
const getOverSocket = (socketPath: string, path: string): Effect.Effect<string, string> =>
  Effect.async<string, string>((resume) => {
    const req = http.get({ socketPath, path, headers: { Host: "docker" }, timeout: Duration.toMillis(RequestTimeout) }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("error", (e) => resume(Effect.fail(`GET ${path}: ${e.message}`)))
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8")
        resume(res.statusCode === 200 ? Effect.succeed(body) : Effect.fail(`GET ${path}: HTTP ${res.statusCode ?? "?"} ${body.trim().slice(0, 200)}`))
      })
    })
    req.on("timeout", () => req.destroy(new Error(`no answer within ${Duration.format(RequestTimeout)}`)))
    req.on("error", (e) => resume(Effect.fail(`GET ${path} on ${socketPath}: ${e.message}`)))
    return Effect.sync(() => req.destroy())
  })

export const moby = (socket: string): Effect.Effect<Probe> =>
  Effect.gen(function*() {
    const ping = yield* getOverSocket(socket, "/_ping")
    if (ping.trim() !== "OK") return yield* Effect.fail(`GET /_ping answered ${JSON.stringify(ping.slice(0, 100))}`)
    const body = yield* getOverSocket(socket, "/version")
    const v: unknown = yield* Effect.try({ try: () => JSON.parse(body), catch: () => "GET /version: not JSON" })
    const field = (k: string) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined)
    const version = field("Version")
    const api = field("ApiVersion")
    return { ok: true as const, version: `${typeof version === "string" ? version : "?"} (API ${typeof api === "string" ? api : "?"})` }
  }).pipe(Effect.catchAll((error) => Effect.succeed({ ok: false as const, error })))

/** `ctr version`'s server part: `Server:\n  Version:  1.6.20~ds1\n ...`. */
export const ctrServerVersion = (stdout: string): string | undefined =>
  /Server:\s*\n\s*Version:\s*(\S+)/.exec(stdout)?.[1]

export const containerd = (limaHome: string, vmName: string): Effect.Effect<Probe> =>
  Effect.gen(function*() {
    const files = vmFiles(limaHome, vmName)
    const port = GuestAccess.readPort(files)
    const user = GuestAccess.readUser(files)
    if (port === undefined || user === undefined) return { ok: false as const, error: `the VM has no SSH configuration yet (${files.sshConfig})` }
    const r = yield* Ssh.run(GuestAccess.target(files, vmName, user, port), "sudo -n ctr version", { timeout: Duration.seconds(15) }).pipe(
      Effect.either
    )
    if (r._tag === "Left") return { ok: false as const, error: `ssh: ${r.left.message}` }
    const version = ctrServerVersion(r.right.stdout)
    if (r.right.exitCode === 0 && version !== undefined) return { ok: true as const, version }
    const said = (r.right.stderr.trim() || r.right.stdout.trim()).split("\n").slice(-2).join(" ")
    return { ok: false as const, error: `ctr version (exit ${r.right.exitCode}): ${said || "no output"}` }
  })

export const live: EngineProbe = (t) => (t.engine === "moby" ? moby(t.dockerSocket) : containerd(t.limaHome, t.vmName))
