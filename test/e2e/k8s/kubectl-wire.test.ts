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
import * as ManagedFields from "../../../src/domain/k8s/ManagedFields.js"
import * as ServerSideApply from "../../../src/domain/k8s/ServerSideApply.js"
import * as StrategicMergePatch from "../../../src/domain/k8s/StrategicMergePatch.js"
import * as StrategicSchemas from "../../../src/domain/k8s/StrategicSchemas.js"
import * as Status from "../../../src/domain/k8s/Status.js"
import * as Table from "../../../src/domain/k8s/Table.js"

const hasKubectl = (process.env["PATH"] ?? "").split(":").some((d) => d !== "" && fs.existsSync(path.join(d, "kubectl")))

const resource = (name: string, kind: string, namespaced: boolean, shortNames: Array<string> = []) => ({
  name, singularName: "", namespaced, kind, verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], shortNames
})

const cmResource = { group: "", resource: "configmaps" }

describe.skipIf(!hasKubectl)("kubectl 1.32 against the k8s domain algorithms", () => {
  let dir = ""
  let server: https.Server | undefined
  const bodies: Array<{ url: string; contentType: string; decoded: unknown }> = []
  const created = (name: string, ageMs: number, data: Record<string, string>): JsonObject => ({
    apiVersion: "v1", kind: "ConfigMap",
    metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "5", creationTimestamp: new Date(Date.now() - ageMs).toISOString().replace(/\.\d{3}Z$/, "Z") },
    data
  })
  /** the configmaps of namespace default */
  const store = new Map<string, JsonObject>([["seed", created("seed", 15 * 60_000 + 5_000, { a: "1" })]])
  const patchTypes: Array<string> = []

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
        if (url === "/apis") {
          const gv = { groupVersion: "example.com/v1", version: "v1" }
          return json(200, { kind: "APIGroupList", apiVersion: "v1", groups: [{ name: "example.com", versions: [gv], preferredVersion: gv }] })
        }
        if (url === "/apis/example.com/v1") {
          return json(200, { kind: "APIResourceList", apiVersion: "v1", groupVersion: "example.com/v1", resources: [resource("widgets", "Widget", true, ["wd"])] })
        }
        if (req.method === "GET" && url === "/apis/example.com/v1/namespaces/default/widgets") {
          const widget = (name: string, running: boolean, restarts: number, ready: string): JsonObject => ({
            apiVersion: "example.com/v1", kind: "Widget",
            metadata: { name, namespace: "default", creationTimestamp: new Date(Date.now() - 3 * 3600_000 - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z") },
            spec: { running }, status: { restartCount: restarts, conditions: [{ type: "Ready", status: ready }] }
          })
          const columns = Table.columnsFor("example.com", "Widget", Table.printerColumnsOf({
            additionalPrinterColumns: [
              { name: "Running", type: "boolean", jsonPath: ".spec.running" },
              { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
              { name: "Restarts", type: "integer", jsonPath: ".status.restartCount", priority: 1 },
              { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }
            ]
          }))
          return json(200, Table.toTable(columns, [widget("w1", true, 2, "True"), widget("w2", false, 0, "False")], { nowMs: Date.now(), resourceVersion: "9" }))
        }
        if (url === "/api/v1") {
          return json(200, {
            kind: "APIResourceList", apiVersion: "v1", groupVersion: "v1",
            resources: [resource("configmaps", "ConfigMap", true, ["cm"]), resource("secrets", "Secret", true), resource("namespaces", "Namespace", false), resource("serviceaccounts", "ServiceAccount", true)]
          })
        }
        if (url === "/openapi/v3") return json(200, { paths: { "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=1" } } })
        if (url === "/openapi/v3/api/v1") {
          return json(200, {
            openapi: "3.0.0", info: { title: "test", version: "v1.32.4" }, components: { schemas: {} },
            paths: { "/api/v1/namespaces/{namespace}/configmaps/{name}": { patch: {
              "x-kubernetes-group-version-kind": { group: "", version: "v1", kind: "ConfigMap" },
              parameters: [{ name: "fieldValidation", in: "query", schema: { type: "string" } }], responses: {}
            } } }
          })
        }
        const cmPath = "/api/v1/namespaces/default/configmaps"
        const text = () => Buffer.concat(chunks).toString("utf8")
        const query = new URL(req.url ?? "/", "https://x").searchParams
        const writeOpts = {
          manager: query.get("fieldManager") ?? "unknown", type: ManagedFields.fromPatchSchema(StrategicSchemas.schemaFor("", "ConfigMap")),
          apiVersion: "v1", now: new Date().toISOString().replace(/\.\d{3}Z$/, "Z")
        }
        if (req.method === "PATCH" && (req.headers["content-type"] ?? "").startsWith("application/apply-patch+yaml")) {
          const name = url.slice(cmPath.length + 1)
          patchTypes.push("application/apply-patch+yaml")
          const r = ServerSideApply.apply(store.get(name), JSON.parse(text()) as JsonObject, { ...writeOpts, force: query.get("force") === "true" })
          if (Either.isLeft(r)) return json(409, ServerSideApply.conflictStatus(r.left))
          const existed = store.has(name)
          const meta = r.right["metadata"] as JsonObject
          store.set(name, { ...r.right, metadata: { ...meta, uid: `uid-${name}`, resourceVersion: "7", creationTimestamp: "2026-01-01T00:00:00Z" } })
          return json(existed ? 200 : 201, store.get(name))
        }
        if (req.method === "GET" && url === cmPath) {
          const table = /as=Table/.test(req.headers.accept ?? "")
          const items = [...store.values()]
          return json(200, table
            ? Table.toTable(Table.columnsFor("", "ConfigMap"), items, { nowMs: Date.now(), resourceVersion: "5" })
            : { kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: "5" }, items })
        }
        if (req.method === "GET" && url.startsWith(`${cmPath}/`)) {
          const name = url.slice(cmPath.length + 1)
          const o = store.get(name)
          return o !== undefined ? json(200, o) : json(404, Status.notFound(cmResource, name))
        }
        if (req.method === "PATCH" && url.startsWith(`${cmPath}/`)) {
          const name = url.slice(cmPath.length + 1)
          const live = store.get(name)
          if (live === undefined) return json(404, Status.notFound(cmResource, name))
          const type = (req.headers["content-type"] ?? "").split(";")[0] ?? ""
          patchTypes.push(type)
          const body = JSON.parse(text()) as Json
          const patched = type === "application/strategic-merge-patch+json"
            ? StrategicMergePatch.apply(live, body, StrategicSchemas.schemaFor("", "ConfigMap"))
            : Either.right(MergePatch.apply(live, body))
          if (Either.isLeft(patched)) return json(400, Status.badRequest(patched.left))
          const next = ServerSideApply.update(live, patched.right as JsonObject, writeOpts)
          const errs = MetaValidation.validateObjectMeta(next["metadata"] as JsonObject, { namespaced: true, name: Names.nameIsDNSSubdomain })
          if (errs.length > 0) return json(422, Status.invalid({ group: "", kind: "ConfigMap" }, name, errs))
          store.set(name, next)
          return json(200, next)
        }
        if (req.method === "POST" && url === cmPath && (req.headers["content-type"] ?? "").startsWith("application/json")) {
          const o = JSON.parse(text()) as JsonObject
          const name = String((o["metadata"] as JsonObject)["name"])
          if (store.has(name)) return json(409, Status.alreadyExists(cmResource, name))
          const stored = ServerSideApply.update(undefined, { ...o, metadata: { ...(o["metadata"] as JsonObject), uid: `uid-${name}`, resourceVersion: "6", creationTimestamp: "2026-01-01T00:00:00Z" } }, writeOpts)
          store.set(name, stored)
          return json(201, stored)
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

  it("client-side apply sends a strategic merge patch that our implementation applies as kube does (wire sheet 6.3)", async () => {
    const manifest = (finalizers: Array<string>, owner: { name: string; uid: string }, data: Record<string, string>) => {
      const file = path.join(dir, "cm.json")
      fs.writeFileSync(file, JSON.stringify({
        apiVersion: "v1", kind: "ConfigMap",
        metadata: { name: "f1", finalizers, ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", ...owner }] },
        data
      }))
      return file
    }
    const first = await kubectl("apply", "-f", manifest(["a.io/x", "b.io/y"], { name: "seed", uid: "u1" }, { a: "1" }))
    expect([first.code, first.stdout.trim()]).toEqual([0, "configmap/f1 created"])
    const second = await kubectl("apply", "-f", manifest(["b.io/y", "c.io/z"], { name: "seed2", uid: "u2" }, { b: "2" }))
    expect([second.code, second.stdout.trim(), second.stderr]).toEqual([0, "configmap/f1 configured", ""])
    expect(patchTypes.at(-1)).toBe("application/strategic-merge-patch+json")
    const f1 = store.get("f1") as { metadata: JsonObject; data: unknown }
    expect(f1.data).toEqual({ b: "2" })
    expect(f1.metadata["finalizers"]).toEqual(["b.io/y", "c.io/z"])
    expect(f1.metadata["ownerReferences"]).toEqual([{ apiVersion: "v1", kind: "ConfigMap", name: "seed2", uid: "u2" }])
    const unchanged = await kubectl("apply", "-f", path.join(dir, "cm.json"))
    expect([unchanged.code, unchanged.stdout.trim()]).toEqual([0, "configmap/f1 unchanged"])
  }, 120_000)

  it("server-side apply: create, drop a field, conflict with client-side apply's field, force", async () => {
    const write = (name: string, data: Record<string, string>) => {
      const file = path.join(dir, `${name}.json`)
      fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data }))
      return file
    }
    const a = await kubectl("apply", "--server-side", "-f", write("f2", { x: "1", y: "2" }))
    expect([a.code, a.stdout.trim()]).toEqual([0, "configmap/f2 serverside-applied"])
    const b = await kubectl("apply", "--server-side", "-f", write("f2", { x: "1" }))
    expect([b.code, b.stdout.trim()]).toEqual([0, "configmap/f2 serverside-applied"])
    expect((store.get("f2") as { data: unknown }).data).toEqual({ x: "1" })
    // f1's data.b belongs to kubectl-client-side-apply (previous test)
    const c = await kubectl("apply", "--server-side", "-f", write("f1", { b: "3" }))
    expect(c.code).toBe(1)
    expect(c.stderr).toMatch(/^error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1 at \S+: \.data\.b\n/)
    expect(c.stderr).toContain("--force-conflicts")
    const d = await kubectl("apply", "--server-side", "--force-conflicts", "-f", path.join(dir, "f1.json"))
    expect([d.code, d.stdout.trim()]).toEqual([0, "configmap/f1 serverside-applied"])
    expect((store.get("f1") as { data: unknown }).data).toEqual({ b: "3" })
  }, 120_000)

  it("a custom resource's printer columns: kubectl shows priority columns only with -o wide", async () => {
    const plain = await kubectl("get", "wd")
    expect([plain.code, plain.stdout]).toEqual([0, "NAME   RUNNING   READY   AGE\nw1     true      True    3h1m\nw2     false     False   3h1m\n"])
    const wide = await kubectl("get", "wd", "-o", "wide")
    expect(wide.stdout).toBe("NAME   RUNNING   READY   RESTARTS   AGE\nw1     true      True    2          3h1m\nw2     false     False   0          3h1m\n")
  }, 120_000)
})
