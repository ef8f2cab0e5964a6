/**
 * The real kubectl 1.32 against a tiny HTTPS server built only from the pure
 * algorithms of src/domain/k8s: it decodes protobuf request bodies (every
 * imperative `create` that sends protobuf), renders Tables, applies merge
 * patches, validates metadata and answers Status errors, so kubectl's own
 * printing proves the wire forms (not the real API server, which is tested
 * elsewhere).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as Tls from "../../../src/controlplane/Tls.js"
import type { Json, JsonObject } from "../../../src/domain/k8s/Json.js"
import * as MergePatch from "../../../src/domain/k8s/MergePatch.js"
import * as Names from "../../../src/domain/k8s/Names.js"
import * as MetaValidation from "../../../src/domain/k8s/ObjectMetaValidation.js"
import * as Protobuf from "../../../src/domain/k8s/Protobuf.js"
import * as Status from "../../../src/domain/k8s/Status.js"
import * as Table from "../../../src/domain/k8s/Table.js"

const hasKubectl = (process.env["PATH"] ?? "").split(":").some((d) => d !== "" && fs.existsSync(path.join(d, "kubectl")))

const resource = (name: string, kind: string, namespaced: boolean, shortNames: Array<string> = []) => ({
  name, singularName: "", namespaced, kind, verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], shortNames
})

const cmResource = { group: "", resource: "configmaps" }

describe.skipIf(!hasKubectl)("kubectl protobuf bodies", () => {
  let dir = ""
  let server: https.Server | undefined
  const bodies: Array<{ url: string; contentType: string; decoded: unknown }> = []
  let seed: JsonObject = {
    apiVersion: "v1", kind: "ConfigMap",
    metadata: { name: "seed", namespace: "default", uid: "u0", resourceVersion: "5", creationTimestamp: new Date(Date.now() - 15 * 60_000 - 5_000).toISOString().replace(/\.\d{3}Z$/, "Z") },
    data: { a: "1" }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-k8s-pb-"))
    const tls = await Effect.runPromise(Tls.ensure(path.join(dir, "tls")))
    server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const url = (req.url ?? "").split("?")[0] ?? ""
        const json = (code: number, o: unknown) => {
          res.writeHead(code, { "Content-Type": "application/json" })
          res.end(JSON.stringify(o))
        }
        if (url === "/version") return json(200, { major: "1", minor: "32", gitVersion: "v1.32.4" })
        if (url === "/api") return json(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] })
        if (url === "/apis") return json(200, { kind: "APIGroupList", apiVersion: "v1", groups: [] })
        if (url === "/api/v1") {
          return json(200, {
            kind: "APIResourceList", apiVersion: "v1", groupVersion: "v1",
            resources: [resource("configmaps", "ConfigMap", true, ["cm"]), resource("secrets", "Secret", true), resource("namespaces", "Namespace", false), resource("serviceaccounts", "ServiceAccount", true)]
          })
        }
        const cmPath = "/api/v1/namespaces/default/configmaps"
        if (req.method === "GET" && url === cmPath) {
          const table = /as=Table/.test(req.headers.accept ?? "")
          return json(200, table
            ? Table.toTable(Table.columnsFor("", "ConfigMap"), [seed], { nowMs: Date.now(), resourceVersion: "5" })
            : { kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: "5" }, items: [seed] })
        }
        if (req.method === "GET" && url.startsWith(`${cmPath}/`)) {
          const name = url.slice(cmPath.length + 1)
          return name === "seed" ? json(200, seed) : json(404, Status.notFound(cmResource, name))
        }
        if (req.method === "PATCH" && url === `${cmPath}/seed`) {
          const patched = MergePatch.apply(seed, JSON.parse(Buffer.concat(chunks).toString("utf8")) as Json) as JsonObject
          const errs = MetaValidation.validateObjectMeta(patched["metadata"] as JsonObject, { namespaced: true, name: Names.nameIsDNSSubdomain })
          if (errs.length > 0) return json(422, Status.invalid({ group: "", kind: "ConfigMap" }, "seed", errs))
          seed = patched
          return json(200, seed)
        }
        if (req.method === "POST") {
          const decoded = Protobuf.decode(new Uint8Array(Buffer.concat(chunks)))
          bodies.push({ url, contentType: req.headers["content-type"] ?? "", decoded: Either.getOrUndefined(decoded) })
          if (Either.isLeft(decoded)) return json(415, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "UnsupportedMediaType", code: 415, message: decoded.left })
          const o = decoded.right as { metadata?: Record<string, unknown> }
          return json(201, { ...o, metadata: { ...o.metadata, uid: "u1", resourceVersion: "1" } })
        }
        json(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: "not found" })
      })
    })
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as AddressInfo).port
    fs.writeFileSync(path.join(dir, "kubeconfig"), [
      "apiVersion: v1", "kind: Config", "current-context: c",
      "clusters:", `- name: c`, `  cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: ${Buffer.from(tls.caPem).toString("base64")}}`,
      "contexts:", "- name: c", "  context: {cluster: c, user: u, namespace: default}",
      "users:", "- name: u", "  user: {token: t}"
    ].join("\n"))
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
    if (dir !== "") fs.rmSync(dir, { recursive: true, force: true })
  })

  const kubectl = (...args: Array<string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile("kubectl", args, {
        timeout: 30_000,
        env: { ...process.env, KUBECONFIG: path.join(dir, "kubeconfig"), KUBECACHEDIR: path.join(dir, "cache") }
      }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr }))
    })

  it("create configmap / secret / namespace / serviceaccount decode to the objects kubectl meant", async () => {
    fs.writeFileSync(path.join(dir, "f.bin"), Buffer.from([0x62, 0x69, 0x6e, 0x00, 0xff]))
    const runs = [
      await kubectl("create", "configmap", "cm1", "--from-literal=a=b", "--from-literal=empty=", "--dry-run=server"),
      await kubectl("create", "secret", "generic", "s1", "--from-literal=p=q", `--from-file=f=${path.join(dir, "f.bin")}`, "--dry-run=server"),
      await kubectl("create", "namespace", "ns1", "--dry-run=server"),
      await kubectl("create", "serviceaccount", "sa1", "-n", "kube-x", "--dry-run=server")
    ]
    expect(runs.map((r) => [r.code, r.stdout.trim()])).toEqual([
      [0, "configmap/cm1 created (server dry run)"],
      [0, "secret/s1 created (server dry run)"],
      [0, "namespace/ns1 created (server dry run)"],
      [0, "serviceaccount/sa1 created (server dry run)"]
    ])
    expect(bodies.map((b) => b.contentType)).toEqual(Array(4).fill("application/vnd.kubernetes.protobuf"))
    expect(bodies.map((b) => b.decoded)).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm1" }, data: { a: "b", empty: "" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "s1" }, data: { f: "YmluAP8=", p: "cQ==" } }, // no --type: empty, the server defaults Opaque
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns1" } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa1", namespace: "kube-x" } }
    ])
  }, 120_000)

  it("kubectl prints the server's Table, NotFound and Invalid Status as it would the real server's", async () => {
    const get = await kubectl("get", "cm")
    expect([get.code, get.stdout]).toEqual([0, "NAME   DATA   AGE\nseed   1      15m\n"])
    const missing = await kubectl("get", "cm", "nope")
    expect([missing.code, missing.stderr.trim()]).toEqual([1, 'Error from server (NotFound): configmaps "nope" not found'])
    // kubectl label checks values itself; a merge patch reaches the server
    const bad = await kubectl("patch", "cm", "seed", "--type=merge", "-p", '{"metadata":{"labels":{"tier":"-x"}}}')
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim()).toBe(
      "The ConfigMap \"seed\" is invalid: metadata.labels: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    )
    const good = await kubectl("label", "cm", "seed", "tier=web")
    expect([good.code, good.stdout.trim()]).toEqual([0, "configmap/seed labeled"])
    const shown = await kubectl("get", "cm", "--show-labels")
    expect(shown.stdout).toBe("NAME   DATA   AGE   LABELS\nseed   1      15m   tier=web\n")
  }, 120_000)
})
