/**
 * The HTTPS API of a real daemon: watch framing and header flushing, paging,
 * selectors, body handling (JSON, YAML, limits, garbage), Status errors,
 * defaulted apiVersion/kind, discovery and OpenAPI documents, foreground
 * deletion, and a watcher that never reads not blocking writers.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as https from "node:https"
import { startDaemon, stopAll, type TestDaemon } from "../support/daemon.js"

let d: TestDaemon
beforeAll(async () => {
  d = await startDaemon()
  await d.request("POST", "/api/v1/namespaces", { metadata: { name: "h" } })
}, 60_000)
afterAll(stopAll, 30_000)

interface WatchLine {
  readonly type: string
  readonly object: { readonly apiVersion: string; readonly kind: string; readonly metadata: { readonly name: string } }
}

/** Opens a watch; resolves when the response headers arrive. */
const openWatch = (path: string) =>
  new Promise<{ lines: Array<WatchLine>; res: import("node:http").IncomingMessage; req: import("node:http").ClientRequest; ended: Promise<void> }>(
    (resolve, reject) => {
      const lines: Array<unknown> = []
      const req = https.request({ host: "127.0.0.1", port: d.port, path, ca: d.ca, headers: { Authorization: `Bearer ${d.adminToken}` } }, (res) => {
        let buf = ""
        const ended = new Promise<void>((r) => res.on("end", () => r()))
        res.on("data", (c: Buffer) => {
          buf += c.toString()
          let i: number
          while ((i = buf.indexOf("\n")) >= 0) {
            lines.push(JSON.parse(buf.slice(0, i)))
            buf = buf.slice(i + 1)
          }
        })
        resolve({ lines: lines as Array<WatchLine>, res, req, ended })
      })
      req.on("error", reject)
      req.end()
    }
  )

type Row = Readonly<Record<string, unknown>>
const pluck = (xs: ReadonlyArray<Row>, k: string) => xs.map((x) => x[k])
const findBy = (xs: ReadonlyArray<Row>, k: string, v: unknown) => xs.find((x) => x[k] === v)
const names = (xs: ReadonlyArray<{ readonly metadata: { readonly name: string } }>) => xs.map((x) => x.metadata.name)

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached")
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe("HTTP API", () => {
  it("sends watch headers at once on a quiet watch and ends it after timeoutSeconds", async () => {
    const started = Date.now()
    const w = await openWatch("/api/v1/namespaces/h/configmaps?watch=true&resourceVersion=1000000000&timeoutSeconds=1")
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(w.res.statusCode).toBe(200)
    expect(w.res.headers["content-type"]).toBe("application/json")
    await w.ended
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
  })

  it("streams events as JSON lines and pages lists with limit/continue", async () => {
    const list = await d.request("GET", "/api/v1/namespaces/h/configmaps")
    const w = await openWatch(`/api/v1/namespaces/h/configmaps?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`)
    for (const n of ["p1", "p2", "p3"]) expect((await d.request("POST", "/api/v1/namespaces/h/configmaps", { metadata: { name: n } })).status).toBe(201)
    await until(() => w.lines.length === 3)
    expect(w.lines.map((l) => `${l.type}:${l.object.metadata.name}`)).toEqual(["ADDED:p1", "ADDED:p2", "ADDED:p3"])
    expect(w.lines[0]?.object).toMatchObject({ apiVersion: "v1", kind: "ConfigMap" })
    w.req.destroy()
    const page1 = await d.request("GET", "/api/v1/namespaces/h/configmaps?limit=2")
    expect(names(page1.body.items)).toEqual(["p1", "p2"])
    const token = page1.body.metadata.continue
    expect(typeof token).toBe("string")
    const page2 = await d.request("GET", `/api/v1/namespaces/h/configmaps?limit=2&continue=${encodeURIComponent(token)}`)
    expect(names(page2.body.items)).toEqual(["p3"])
    expect(page2.body.metadata.continue).toBeUndefined()
    expect((await d.request("GET", "/api/v1/namespaces/h/configmaps?continue=garbage")).status).toBe(400)
  })

  it("honours field selectors, including events' involvedObject.* (kubectl describe)", async () => {
    const byName = await d.request("GET", "/api/v1/namespaces/h/configmaps?fieldSelector=metadata.name%3Dp2")
    expect(byName.body.items).toHaveLength(1)
    const event = { metadata: { name: "e1" }, involvedObject: { kind: "ConfigMap", name: "p2", namespace: "h" }, reason: "Tested", message: "hello", type: "Normal" }
    expect((await d.request("POST", "/api/v1/namespaces/h/events", event)).status).toBe(201)
    const q = encodeURIComponent("involvedObject.name=p2,involvedObject.namespace=h,involvedObject.kind=ConfigMap")
    const events = await d.request("GET", `/api/v1/namespaces/h/events?fieldSelector=${q}&limit=500`)
    expect(pluck(events.body.items, "reason")).toEqual(["Tested"])
    const none = await d.request("GET", `/api/v1/namespaces/h/events?fieldSelector=${encodeURIComponent("involvedObject.name=zzz")}`)
    expect(none.body.items).toEqual([])
    expect((await d.request("GET", "/api/v1/namespaces/h/configmaps?labelSelector=a%20in%20(")).status).toBe(400)
  })

  it("answers every bad request with a Status and stores nothing invalid", async () => {
    const garbage = await d.request("POST", "/api/v1/namespaces/h/configmaps", "{not json")
    expect(garbage.status).toBe(400)
    expect(garbage.body).toMatchObject({ kind: "Status", status: "Failure", reason: "BadRequest", code: 400 })
    const big = await d.request("POST", "/api/v1/namespaces/h/configmaps", { metadata: { name: "big" }, data: { a: "x".repeat(3 * 1024 * 1024) } })
    expect(big.status).toBe(413)
    expect(big.body.reason).toBe("RequestEntityTooLarge")
    const badName = await d.request("POST", "/api/v1/namespaces/h/configmaps", { metadata: { name: "../etc" } })
    expect(badName.status).toBe(422)
    expect(badName.body.details.kind).toBe("ConfigMap")
    expect((await d.request("GET", "/api/v1/namespaces/h/configmaps/..%2Fx")).status).toBe(404)
    expect((await d.request("GET", "/api/v1/nothere")).status).toBe(404)
    const wrongKind = await d.request("POST", "/api/v1/namespaces/h/configmaps", { apiVersion: "v1", kind: "Secret", metadata: { name: "k" } })
    expect(wrongKind.status).toBe(400)
    const badRv = await d.request("GET", "/api/v1/namespaces/h/configmaps?watch=true&resourceVersion=abc")
    expect(badRv.status).toBe(400)
    const list = await d.request("GET", "/api/v1/namespaces/h/configmaps")
    expect(names(list.body.items)).toEqual(["p1", "p2", "p3"])
  })

  it("accepts YAML bodies and defaults apiVersion and kind (client-node sends neither)", async () => {
    const yaml = await d.request("POST", "/api/v1/namespaces/h/configmaps", "metadata:\n  name: y1\ndata:\n  k: v\n", { headers: { "Content-Type": "application/yaml" } })
    expect(yaml.status).toBe(201)
    expect(yaml.body).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", data: { k: "v" } })
    const got = await d.request("GET", "/api/v1/namespaces/h/configmaps/y1")
    expect(got.body.kind).toBe("ConfigMap")
    expect(got.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(got.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it("serves discovery and OpenAPI documents kubectl relies on", async () => {
    const v1 = await d.request("GET", "/api/v1")
    const cm = findBy(v1.body.resources, "name", "configmaps")
    expect(cm).toMatchObject({ namespaced: true, kind: "ConfigMap", shortNames: ["cm"] })
    expect(findBy(v1.body.resources, "name", "namespaces/status")).toBeDefined()
    const apis = await d.request("GET", "/apis")
    expect(pluck(apis.body.groups, "name")).toEqual(expect.arrayContaining(["apiextensions.k8s.io", "coordination.k8s.io"]))
    const aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    const agg = await d.request("GET", "/api", undefined, { headers: { Accept: aggregatedAccept } })
    expect(agg.headers["content-type"]).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    const coreCm = findBy(agg.body.items[0].versions[0].resources, "resource", "configmaps")
    expect(coreCm).toMatchObject({ scope: "Namespaced", responseKind: { group: "", version: "v1", kind: "ConfigMap" }, shortNames: ["cm"] })
    const aggApis = await d.request("GET", "/apis", undefined, { headers: { Accept: aggregatedAccept } })
    expect(names(aggApis.body.items)).toContain("apiextensions.k8s.io")
    const root = await d.request("GET", "/openapi/v3")
    const url = root.body.paths["api/v1"].serverRelativeURL
    expect(url).toMatch(/^\/openapi\/v3\/api\/v1\?hash=/)
    const doc = await d.request("GET", url)
    const op = doc.body.paths["/api/v1/namespaces/{namespace}/configmaps/{name}"].patch
    expect(op["x-kubernetes-group-version-kind"]).toEqual({ group: "", version: "v1", kind: "ConfigMap" })
    expect(op.parameters).toContainEqual({ name: "fieldValidation", in: "query", schema: { type: "string" } })
    const table = await d.request("GET", "/api/v1/namespaces/h/configmaps", undefined, {
      headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" }
    })
    expect(table.body.kind).toBe("Table")
    expect(pluck(table.body.columnDefinitions, "name")).toEqual(["Name", "Data", "Age"])
    expect(table.body.rows[0].object.kind).toBe("PartialObjectMetadata")
  })

  it("refuses to delete the default and system namespaces", async () => {
    for (const ns of ["default", "rdd-system"]) {
      const r = await d.request("DELETE", `/api/v1/namespaces/${ns}`)
      expect(r.status).toBe(403)
      expect(r.body.message).toBe(`namespaces "${ns}" is forbidden: this namespace may not be deleted`)
    }
  })

  it("serves cluster-scoped CRDs with immutability rules, defaults and generation semantics", async () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gizmos.test.rdd" },
      spec: {
        group: "test.rdd",
        scope: "Cluster",
        names: { plural: "gizmos", singular: "gizmo", kind: "Gizmo", shortNames: ["gz"] },
        versions: [{
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: {
                    ref: { type: "string", "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "ref is immutable" }] },
                    on: { type: "boolean", default: false }
                  }
                },
                status: { type: "object", properties: { n: { type: "integer" } } }
              }
            }
          }
        }]
      }
    }
    expect((await d.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).status).toBe(201)
    const got = await d.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.test.rdd")
    expect(findBy(got.body.status.conditions, "type", "Established")?.["status"]).toBe("True")
    const base = "/apis/test.rdd/v1/gizmos"
    const created = await d.request("POST", base, { metadata: { name: "g1" }, spec: { ref: "a" } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ apiVersion: "test.rdd/v1", kind: "Gizmo", spec: { ref: "a", on: false } })
    expect(created.body.metadata.namespace).toBeUndefined()
    const merge = { "Content-Type": "application/merge-patch+json" }
    const immutable = await d.request("PATCH", `${base}/g1`, { spec: { ref: "b" } }, { headers: merge })
    expect(immutable.status).toBe(422)
    expect(immutable.body.message).toContain("ref is immutable")
    const status = await d.request("PATCH", `${base}/g1/status`, { status: { n: 1 } }, { headers: merge })
    expect(status.body.metadata.generation).toBe(1)
    expect(status.body.status).toEqual({ n: 1 })
    const spec = await d.request("PATCH", `${base}/g1`, { spec: { on: true }, status: { n: 9 } }, { headers: merge })
    expect(spec.body.metadata.generation).toBe(2)
    expect(spec.body.status).toEqual({ n: 1 })
    const badType = await d.request("PATCH", `${base}/g1`, { spec: { on: "yes" } }, { headers: merge })
    expect(badType.status).toBe(422)
    const discovery = await d.request("GET", "/apis/test.rdd/v1")
    expect(pluck(discovery.body.resources, "name")).toEqual(["gizmos", "gizmos/status"])
    expect((await d.request("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.test.rdd")).status).toBe(200)
    expect((await d.request("GET", `${base}/g1`)).status).toBe(404)
  })

  it("foreground deletion removes blocking dependents before the owner", async () => {
    const owner = await d.request("POST", "/api/v1/namespaces/h/configmaps", { metadata: { name: "fg-owner" } })
    const ref = { apiVersion: "v1", kind: "ConfigMap", name: "fg-owner", uid: owner.body.metadata.uid, blockOwnerDeletion: true }
    await d.request("POST", "/api/v1/namespaces/h/configmaps", { metadata: { name: "fg-dep", ownerReferences: [ref], finalizers: ["x.io/hold"] } })
    const del = await d.request("DELETE", "/api/v1/namespaces/h/configmaps/fg-owner", { propagationPolicy: "Foreground" })
    expect(del.status).toBe(200)
    expect(del.body.metadata.finalizers).toContain("foregroundDeletion")
    const dep = await d.request("GET", "/api/v1/namespaces/h/configmaps/fg-dep")
    expect(dep.body.metadata.deletionTimestamp).toBeDefined()
    expect((await d.request("GET", "/api/v1/namespaces/h/configmaps/fg-owner")).status).toBe(200)
    await d.request("PATCH", "/api/v1/namespaces/h/configmaps/fg-dep", { metadata: { finalizers: null } }, { headers: { "Content-Type": "application/merge-patch+json" } })
    let gone = false
    for (let i = 0; i < 100 && !gone; i++) {
      gone = (await d.request("GET", "/api/v1/namespaces/h/configmaps/fg-owner")).status === 404
      if (!gone) await new Promise((r) => setTimeout(r, 20))
    }
    expect(gone).toBe(true)
  })

  it("a watcher that never reads does not slow writers down", async () => {
    const w = await openWatch("/api/v1/namespaces/h/configmaps?watch=true")
    w.res.pause()
    const started = Date.now()
    for (let i = 0; i < 200; i++) {
      expect((await d.request("POST", "/api/v1/namespaces/h/configmaps", { metadata: { name: `slow${i}` }, data: { v: "x".repeat(2000) } })).status).toBe(201)
    }
    expect(Date.now() - started).toBeLessThan(20_000)
    w.req.destroy()
  })

  it("survives malformed writes: every answer is a Status, never a 5xx, and the daemon stays up", async () => {
    const bodies = ["[]", "null", "1", "{", `{"metadata":"x"}`, `{"metadata":{"name":123}}`, `{"metadata":{"name":"a","labels":{"x":1}}}`,
      `{"metadata":{"name":"a","finalizers":"x"}}`, `{"metadata":{"name":"a","ownerReferences":[1]}}`, `{"metadata":{"name":"a"},"data":[]}`,
      `{"metadata":{"name":"a"},"data":{"k":1}}`, `{"metadata":{"name":"${"a".repeat(300)}"}}`, `{"metadata":{"name":"a","namespace":"other"}}`]
    const paths = ["/api/v1/namespaces/h/configmaps", "/api/v1/namespaces/h/configmaps/p1", "/api/v1/namespaces/h/configmaps/p1/status",
      "/api/v1/namespaces", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "/api/v1/namespaces/%2e%2e/configmaps"]
    const types = ["application/json", "application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json",
      "application/apply-patch+yaml", "application/yaml", "application/vnd.kubernetes.protobuf", "text/plain"]
    for (const p of paths) {
      for (const b of bodies) {
        for (const m of ["POST", "PUT", "PATCH"]) {
          for (const t of m === "PATCH" ? types : ["application/json"]) {
            const r = await d.request(m, p, b, { headers: { "Content-Type": t } })
            expect(r.status, `${m} ${p} ${t} ${b}`).toBeLessThan(500)
            if (r.status >= 400) expect(r.body?.kind, `${m} ${p} ${t} ${b}`).toBe("Status")
          }
        }
      }
    }
    expect((await d.request("GET", "/readyz")).status).toBe(200)
    const stored = await d.request("GET", "/api/v1/namespaces/h/configmaps/a")
    expect(stored.status).toBe(404)
  }, 120_000)
})
