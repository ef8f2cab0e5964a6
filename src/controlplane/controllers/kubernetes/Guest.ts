/**
 * What the kubernetes controller asks of the App's VM and of the host: the
 * provision script's status line and k3s's kubeconfig, read over the VM's SSH
 * (one command, root's file read with `sudo -n` where the guest has sudo);
 * whether k3s's API answers `GET /readyz` with the kubeconfig's own credentials
 * through the forwarded host port; and whether the server of the user's current
 * context accepts a connection at all (the "does it work" test of the
 * current-context rule). Every failure is a value.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as https from "node:https"
import * as net from "node:net"
import type { GuestView, Probe } from "../../../domain/app/KubernetesReady.js"
import * as K3s from "../../../domain/app/K3s.js"
import type { Entries } from "../../../domain/KubeconfigMerge.js"
import * as GuestAccess from "../../../layers/qemu/GuestAccess.js"
import { vmFiles } from "../../../layers/qemu/QemuArgs.js"
import * as Ssh from "../../../layers/qemu/Ssh.js"

export type GuestReader = (limaHome: string, vmName: string) => Effect.Effect<GuestView, string>
export type ApiProbe = (entries: Entries) => Effect.Effect<Probe>
export type ServerAnswers = (server: string) => Effect.Effect<boolean>

const Separator = "<<<rdd-k3s-kubeconfig>>>"

const readCommand = `cat ${K3s.GuestStatusFile} 2>/dev/null; echo; echo '${Separator}'; ` +
  `if command -v sudo >/dev/null 2>&1; then sudo -n cat ${K3s.GuestKubeconfig}; else cat ${K3s.GuestKubeconfig}; fi 2>/dev/null; true`

/** Splits the command's output; exported for tests. */
export const parseGuestOutput = (stdout: string): GuestView => {
  const at = stdout.indexOf(Separator)
  const status = (at < 0 ? stdout : stdout.slice(0, at)).trim()
  const kubeconfig = at < 0 ? "" : stdout.slice(at + Separator.length).replace(/^\n/, "")
  return { status: status === "" ? undefined : status, kubeconfig: kubeconfig.trim() === "" ? undefined : kubeconfig }
}

export const readOverSsh: GuestReader = (limaHome, vmName) =>
  Effect.gen(function*() {
    const files = vmFiles(limaHome, vmName)
    const port = GuestAccess.readPort(files)
    const user = GuestAccess.readUser(files)
    if (port === undefined || user === undefined) return yield* Effect.fail(`the VM has no SSH configuration yet (${files.sshConfig})`)
    const r = yield* Ssh.run(GuestAccess.target(files, vmName, user, port), readCommand, { timeout: Duration.seconds(15) }).pipe(
      Effect.mapError((e) => `ssh: ${e.message}`)
    )
    return parseGuestOutput(r.stdout)
  })

const RequestTimeout = Duration.seconds(5)

const str = (o: Readonly<Record<string, unknown>>, k: string): string | undefined => (typeof o[k] === "string" ? o[k] : undefined)
const b64 = (s: string | undefined): Buffer | undefined => (s === undefined ? undefined : Buffer.from(s, "base64"))

/** GET /readyz with the kubeconfig's CA, client certificate or token. */
export const readyz: ApiProbe = (e) =>
  Effect.async<Probe>((resume) => {
    const server = str(e.cluster, "server") ?? ""
    let url: URL
    try {
      url = new URL("/readyz", server)
    } catch {
      resume(Effect.succeed({ ok: false, error: `bad server URL ${JSON.stringify(server)}` }))
      return
    }
    const token = str(e.user, "token")
    const req = https.get({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      ca: b64(str(e.cluster, "certificate-authority-data")),
      cert: b64(str(e.user, "client-certificate-data")),
      key: b64(str(e.user, "client-key-data")),
      rejectUnauthorized: e.cluster["insecure-skip-tls-verify"] !== true,
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
      timeout: Duration.toMillis(RequestTimeout),
      agent: false
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("error", (err) => resume(Effect.succeed({ ok: false, error: err.message })))
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8").trim().slice(0, 200)
        resume(Effect.succeed(res.statusCode === 200 ? { ok: true } : { ok: false, error: `GET /readyz: HTTP ${res.statusCode ?? "?"} ${body}` }))
      })
    })
    req.on("timeout", () => req.destroy(new Error(`no answer within ${Duration.format(RequestTimeout)}`)))
    req.on("error", (err) => resume(Effect.succeed({ ok: false, error: `GET ${url.href}: ${err.message}` })))
    return Effect.sync(() => req.destroy())
  })

/** A TCP connection to the server's host and port is accepted within 3 s. */
export const serverAnswers: ServerAnswers = (server) =>
  Effect.async<boolean>((resume) => {
    let url: URL
    try {
      url = new URL(server)
    } catch {
      resume(Effect.succeed(false))
      return
    }
    const port = Number(url.port || (url.protocol === "http:" ? 80 : 443))
    const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port })
    const done = (ok: boolean) => {
      socket.destroy()
      resume(Effect.succeed(ok))
    }
    socket.setTimeout(3000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
    return Effect.sync(() => socket.destroy())
  })
