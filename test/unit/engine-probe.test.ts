import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import * as Probe from "../../src/controlplane/controllers/engine/Probe.js"

/** A Docker-API-shaped server on a unix socket, answering with `handler`. */
const serve = (handler: http.RequestListener) =>
  Effect.acquireRelease(
    Effect.async<{ readonly socket: string; readonly dir: string; readonly server: http.Server }>((resume) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-probe-"))
      const socket = path.join(dir, "docker.sock")
      const server = http.createServer(handler)
      server.listen(socket, () => resume(Effect.succeed({ socket, dir, server })))
    }),
    ({ dir, server }) => Effect.promise(() => new Promise<void>((r) => server.close(() => r()))).pipe(
      Effect.zipRight(Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    )
  )

describe("engine probe", () => {
  it.scoped("moby: /_ping OK then /version gives the version", () =>
    Effect.gen(function*() {
      const paths: Array<string> = []
      const s = yield* serve((req, res) => {
        paths.push(req.url ?? "")
        res.end(req.url === "/_ping" ? "OK" : JSON.stringify({ Version: "20.10.24+dfsg1", ApiVersion: "1.41" }))
      })
      assert.deepStrictEqual(yield* Probe.moby(s.socket), { ok: true, version: "20.10.24+dfsg1 (API 1.41)" })
      assert.deepStrictEqual(paths, ["/_ping", "/version"])
    }))
  it.scoped("moby: an engine that answers with an error, or no socket at all, is not ready (with why)", () =>
    Effect.gen(function*() {
      const s = yield* serve((_req, res) => {
        res.statusCode = 500
        res.end("starting")
      })
      const failing = yield* Probe.moby(s.socket)
      assert.isFalse(failing.ok)
      assert.match(failing.ok ? "" : failing.error, /GET \/_ping: HTTP 500 starting/)
      const absent = yield* Probe.moby(path.join(s.dir, "none.sock"))
      assert.match(absent.ok ? "" : absent.error, /ENOENT/)
    }))
  it("containerd: the server version from ctr version", () => {
    const out = "Client:\n  Version:  1.6.20~ds1\n  Revision: 1.6.20~ds1-1\n  Go version: go1.19.8\n\nServer:\n  Version:  1.6.20~ds1\n  Revision: 1.6.20~ds1-1\n  UUID: x\n"
    assert.strictEqual(Probe.ctrServerVersion(out), "1.6.20~ds1")
    assert.isUndefined(Probe.ctrServerVersion("Client:\n  Version:  1.6.20~ds1\n"))
  })
})
