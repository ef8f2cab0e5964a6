/**
 * The control plane's doors (SPEC 3.1, 6): without a valid bearer token nothing
 * is read or written (401 Status on every endpoint but /healthz /livez /readyz
 * /version); plain HTTP gets no API; the daemon listens on 127.0.0.1 only; the
 * service dir is 0700 and kubeconfig, args and keys 0600; and no token shows up
 * in any log line, even at trace level.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as http from "node:http"
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs"
import * as path from "node:path"
import { type Daemon, scanned, startDaemon, tokenLeaks } from "./Api.js"

let d: Daemon
beforeAll(async () => {
  // trace: the most the daemon ever logs, so the token scan sees everything it could leak
  d = await startDaemon("sec-auth", { global: ["--log-level=trace"] })
}, 90_000)
afterAll(async () => {
  await d?.stop()
}, 60_000)

const ns = "/api/v1/namespaces/default"
const endpoints: ReadonlyArray<readonly [string, string, string?]> = [
  ["GET", "/api"],
  ["GET", "/api/v1"],
  ["GET", "/apis"],
  ["GET", "/apis/apiextensions.k8s.io/v1"],
  ["GET", "/apis/lima.rancherdesktop.io/v1alpha1"],
  ["GET", "/openapi/v3"],
  ["GET", "/openapi/v2"],
  ["GET", "/metrics"],
  ["GET", "/no/such/path"],
  ["GET", "/api/v1/namespaces"],
  ["GET", "/api/v1/namespaces/rdd-system/configmaps/rdd-controller-manager"],
  ["GET", `${ns}/configmaps`],
  ["GET", `${ns}/configmaps?watch=true&timeoutSeconds=1`],
  ["GET", `${ns}/secrets`],
  ["GET", "/api/v1/secrets"],
  ["GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"],
  ["GET", "/apis/lima.rancherdesktop.io/v1alpha1/limavms"],
  ["POST", `${ns}/configmaps`, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "intruder" } })],
  ["POST", "/api/v1/namespaces", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "intruder" } })],
  ["PUT", "/api/v1/namespaces/rdd-system/configmaps/config", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "config" } })],
  ["PATCH", "/api/v1/namespaces/rdd-system/configmaps/config", JSON.stringify({ data: { owned: "yes" } })],
  ["DELETE", "/api/v1/namespaces/rdd-system/configmaps/rdd-controller-manager"],
  ["DELETE", `${ns}/configmaps`],
  ["DELETE", "/api/v1/namespaces/rdd-system"],
  ["GET", "/healthz/../api/v1/secrets"],
  ["GET", "//api/v1/secrets"],
  ["GET", "/version/../api/v1/secrets"]
]

const badAuthorizations = (): ReadonlyArray<readonly [string, string | null]> => [
  ["no Authorization header", null],
  ["an empty bearer token", "Bearer "],
  ["a wrong token", "Bearer 0123456789abcdef0123456789abcdef"],
  ["the admin token without the Bearer scheme", d.kubeconfig.adminToken],
  ["the admin token with one character changed", `Bearer ${d.kubeconfig.adminToken.slice(0, -1)}${d.kubeconfig.adminToken.endsWith("a") ? "b" : "a"}`],
  ["the admin token as a prefix", `Bearer ${d.kubeconfig.adminToken.slice(0, 8)}`],
  ["basic auth with the token as password", `Basic ${Buffer.from(`admin:${d.kubeconfig.adminToken}`).toString("base64")}`]
]

describe("no valid token: 401 everywhere except the anonymous endpoints", () => {
  it("every endpoint and method answers 401 with an Unauthorized Status for every bad credential", async () => {
    let checked = 0
    for (const [label, authorization] of badAuthorizations()) {
      for (const [method, p, body] of endpoints) {
        const r = await d.request(p, { method, authorization, ...(body === undefined ? {} : { body }) })
        const where = `${method} ${p} with ${label}: ${r.status} ${r.text.slice(0, 200)}`
        expect(r.status, where).toBe(401)
        expect(r.json, where).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Unauthorized", code: 401 })
        checked++
      }
    }
    expect(checked).toBe(badAuthorizations().length * endpoints.length)
  })

  it("and nothing was written: the intruder objects do not exist, the discovery ConfigMap does", async () => {
    expect((await d.request(`${ns}/configmaps/intruder`)).status).toBe(404)
    expect((await d.request("/api/v1/namespaces/intruder")).status).toBe(404)
    expect((await d.request("/api/v1/namespaces/rdd-system/configmaps/rdd-controller-manager")).status).toBe(200)
    const config = await d.request("/api/v1/namespaces/rdd-system/configmaps/config")
    expect(JSON.stringify(config.json)).not.toContain("owned")
  })

  it.each(["/healthz", "/livez", "/readyz", "/version"])("%s is anonymous", async (p) => {
    const r = await d.request(p, { authorization: null })
    expect(r.status).toBe(200)
  })

  it("the admin token works (the checks above are not vacuous)", async () => {
    expect((await d.request(`${ns}/configmaps`)).status).toBe(200)
    expect((await d.request(`${ns}/configmaps`, { authorization: `Bearer ${d.kubeconfig.userToken}` })).status).toBe(200)
  })
})

describe("transport", () => {
  it("plain HTTP on the API port gets no API answer", async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port: d.kubeconfig.port, path: "/api/v1/namespaces", timeout: 10_000 }, (res) => {
        let body = ""
        res.on("data", (c: Buffer) => (body += c.toString()))
        res.on("end", () => resolve(`status ${res.statusCode}: ${body}`))
      })
      req.on("timeout", () => req.destroy(new Error("timeout")))
      req.on("error", (e) => resolve(`refused: ${(e as NodeJS.ErrnoException).code ?? e.message}`))
    })
    expect(outcome).not.toMatch(/^status 2/)
    expect(outcome).not.toContain("NamespaceList")
  })

  it("every socket the daemon listens on is bound to 127.0.0.1", () => {
    const inodes = new Set<string>()
    for (const fd of readdirSync(`/proc/${d.pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d.pid}/fd/${fd}`))
        if (m !== null) inodes.add(m[1]!)
      } catch {
        // closed while we looked
      }
    }
    const listening: Array<{ local: string; port: number }> = []
    for (const table of ["tcp", "tcp6"]) {
      for (const line of readFileSync(`/proc/net/${table}`, "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/)
        if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9]!)) continue
        const [addr, port] = f[1]!.split(":")
        listening.push({ local: `${table}:${addr}`, port: parseInt(port!, 16) })
      }
    }
    expect(listening.map((l) => l.port)).toContain(d.kubeconfig.port)
    for (const l of listening) expect(l.local, `port ${l.port}`).toBe("tcp:0100007F")
    expect(d.kubeconfig.server).toBe(`https://127.0.0.1:${d.kubeconfig.port}`)
  })
})

describe("file modes", () => {
  const mode = (p: string) => statSync(p).mode & 0o777

  it("service dir 0700; config.yaml and args.json 0600", () => {
    expect(mode(d.paths["dir"]!).toString(8)).toBe("700")
    expect(mode(d.paths["config"]!).toString(8)).toBe("600")
    expect(mode(d.paths["args_file"]!).toString(8)).toBe("600")
  })

  it("TLS keys 0600, and nothing in the service dir is writable by others", () => {
    const tls = d.paths["tls_dir"]!
    const keys = readdirSync(tls).filter((f) => /key/i.test(f))
    expect(keys.length).toBeGreaterThan(0)
    for (const k of keys) expect(mode(path.join(tls, k)).toString(8), k).toBe("600")
    const walk = (dir: string): Array<string> =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name)
        return e.isDirectory() ? [p, ...walk(p)] : [p]
      })
    for (const p of walk(d.paths["dir"]!)) expect(mode(p) & 0o022, `${p} is ${mode(p).toString(8)}`).toBe(0)
  })
})

describe("tokens never reach a log", () => {
  it("the daemon's logs (at trace level, after authenticated and rejected requests) hold no token", async () => {
    await d.request(`${ns}/configmaps`)
    await d.request(`${ns}/configmaps`, { authorization: `Bearer ${d.kubeconfig.adminToken}x` })
    const before = scanned.lines
    expect(tokenLeaks([d.paths["log_dir"]!])).toEqual([])
    expect(scanned.lines - before, "the scan read no log lines").toBeGreaterThan(0)
  })

  it("nor does the CLI's stderr, at trace level, for commands that read the kubeconfig", async () => {
    for (const args of [["svc", "status"], ["svc", "start"], ["svc", "config"]]) {
      const r = await d.rdd("--log-level=trace", ...args)
      expect(r.stderr).not.toContain(d.kubeconfig.adminToken)
      expect(r.stderr).not.toContain(d.kubeconfig.userToken)
    }
  })
})
