/**
 * The API groups everyday Kubernetes tooling calls besides the core kinds (issue
 * 16), through the real kubectl against a real daemon (with its limavm and app
 * controllers): access reviews (`auth can-i`, `auth whoami`), events.k8s.io/v1
 * Events as a second view of core Events, the webhook configurations of rdd's
 * built-in admission, and `kubectl explain` from the served OpenAPI v3 schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { startDaemon, stopAll, type TestDaemon } from "../support/daemon.js"

let d: TestDaemon
const file = (name: string, content: string) => {
  const dir = path.join(d.home, "manifests")
  fs.mkdirSync(dir, { recursive: true })
  const p = path.join(dir, name)
  fs.writeFileSync(p, content)
  return p
}
const k = (...args: Array<string>) => d.kubectl(args)
const ok = async (...args: Array<string>) => {
  const r = await d.kubectl(args)
  expect(r.stderr, `kubectl ${args.join(" ")}`).toBe("")
  expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0)
  return r.stdout
}
const json = async (...args: Array<string>) => JSON.parse(await ok(...args, "-o", "json"))

beforeAll(async () => {
  d = await startDaemon()
}, 60_000)
afterAll(stopAll, 30_000)

describe("discovery", () => {
  it("kubectl api-resources lists the new groups with the verbs they serve", async () => {
    const wide = await ok("api-resources", "-o", "wide")
    expect(wide).toMatch(/\nselfsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectAccessReview\s+create[ \t]*\n/)
    expect(wide).toMatch(/\nselfsubjectrulesreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectRulesReview\s+create[ \t]*\n/)
    expect(wide).toMatch(/\nselfsubjectreviews\s+authentication\.k8s\.io\/v1\s+false\s+SelfSubjectReview\s+create[ \t]*\n/)
    expect(wide).toMatch(/\nevents\s+ev\s+events\.k8s\.io\/v1\s+true\s+Event\s+create,delete,deletecollection,get,list,patch,update,watch[ \t]*\n/)
    expect(wide).toMatch(/\nmutatingwebhookconfigurations\s+admissionregistration\.k8s\.io\/v1\s+false\s+MutatingWebhookConfiguration\s+get,list,watch\s+api-extensions[ \t]*\n/)
    expect(wide).toMatch(/\nvalidatingwebhookconfigurations\s+admissionregistration\.k8s\.io\/v1\s+false\s+ValidatingWebhookConfiguration\s+get,list,watch\s+api-extensions[ \t]*\n/)
  })
})

describe("access reviews", () => {
  it("kubectl auth can-i answers yes for the admin and the user token (rdd has no RBAC)", async () => {
    expect(await ok("auth", "can-i", "create", "configmaps")).toBe("yes\n")
    expect(await ok("auth", "can-i", "delete", "limavms.lima.rancherdesktop.io", "-n", "rdd-system")).toBe("yes\n")
    expect(await ok("auth", "can-i", "get", "/healthz")).toBe("yes\n")
    expect(await ok("auth", "can-i", "create", "configmaps", "--context", `rdd-${d.suffix}-user`)).toBe("yes\n")
  })

  it("kubectl auth can-i --list lists every verb on every resource", async () => {
    const list = await ok("auth", "can-i", "--list")
    expect(list).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n/)
    expect(list).toMatch(/\n\*\.\*\s+\[\]\s+\[\]\s+\[\*\]\n/)
    expect(list).toMatch(/\n\s+\[\*\]\s+\[\]\s+\[\*\]\n/)
  })

  it("kubectl auth whoami names the user of the token", async () => {
    const who = await json("auth", "whoami")
    expect(who).toMatchObject({ kind: "SelfSubjectReview", status: { userInfo: { groups: ["system:authenticated"] } } })
    expect(typeof who.status.userInfo.username).toBe("string")
  })

  it("reviews are create-only and never stored; a review without attributes is Invalid", async () => {
    const get = await d.request("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    expect(get.status).toBe(405)
    const bad = await d.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
      apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: {}
    })
    expect(bad.status).toBe(422)
    expect(bad.body.message).toContain("exactly one of nonResourceAttributes or resourceAttributes must be specified")
  })
})

/** Starts `kubectl <args>` (a watch), resolving `until` once its output matches. */
const watchFor = (args: ReadonlyArray<string>) => {
  const child = spawn("kubectl", ["--kubeconfig", d.kubeconfig, "--cache-dir", path.join(d.home, "kube-cache"), ...args], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  const waiters: Array<{ re: RegExp; resolve: () => void }> = []
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString()
    for (const w of waiters.splice(0)) {
      if (w.re.test(out)) w.resolve()
      else waiters.push(w)
    }
  })
  return {
    until: (re: RegExp, ms = 15_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(out)) return resolve()
        const t = setTimeout(() => reject(new Error(`no ${re} in kubectl output within ${ms}ms:\n${out}`)), ms)
        waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) })
      }),
    stop: () => new Promise<void>((resolve) => {
      child.once("exit", () => resolve())
      child.kill("SIGTERM")
    })
  }
}

const v1Event = (name: string, note: string, uid?: string) => ({
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: { name, namespace: "default" },
  eventTime: "2026-01-02T03:04:05.000000Z",
  reportingController: "example.com/recorder",
  reportingInstance: "recorder-1",
  action: "Reconcile",
  reason: "Synced",
  type: "Normal",
  note,
  regarding: { kind: "ConfigMap", namespace: "default", name: "target", apiVersion: "v1", ...(uid === undefined ? {} : { uid }) }
})

describe("events.k8s.io/v1 Events", () => {
  it("an Event created through events.k8s.io/v1 (as client-go's recorder does) is a core Event too", async () => {
    await ok("create", "configmap", "target", "-n", "default")
    const uid = (await json("get", "configmap", "target", "-n", "default")).metadata.uid
    const created = await d.request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", v1Event("recorded.1", "synced the target", uid))
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ apiVersion: "events.k8s.io/v1", note: "synced the target", regarding: { name: "target" } })
    expect(created.body.message).toBeUndefined()

    const core = await json("get", "events", "recorded.1", "-n", "default")
    expect(core).toMatchObject({
      apiVersion: "v1",
      message: "synced the target",
      involvedObject: { kind: "ConfigMap", name: "target" },
      reportingComponent: "example.com/recorder",
      reportingInstance: "recorder-1",
      action: "Reconcile",
      reason: "Synced"
    })
    expect(core.metadata.uid).toBe(created.body.metadata.uid)
    expect(await ok("get", "events", "-n", "default")).toMatch(/Normal\s+Synced\s+configmap\/target\s+synced the target/)
    expect(await ok("get", "events.events.k8s.io", "-n", "default")).toMatch(/Normal\s+Synced\s+configmap\/target\s+synced the target/)
    expect(await ok("events", "-n", "default")).toMatch(/Normal\s+Synced\s+ConfigMap\/target\s+synced the target/)
    expect(await ok("events", "-n", "default", "--for", "configmap/target")).toContain("synced the target")
    // describe selects the events of the object by involvedObject.{kind,name,namespace,uid}
    expect(await ok("describe", "configmap", "target", "-n", "default")).toMatch(/Normal\s+Synced\s+.*synced the target/)
  })

  it("a core Event reads through events.k8s.io/v1 with the documented field mapping", async () => {
    const core = `apiVersion: v1
kind: Event
metadata: {name: legacy.1, namespace: default}
involvedObject: {kind: ConfigMap, namespace: default, name: target}
reason: Old
message: written the old way
source: {component: old-recorder}
count: 3
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:05:00Z"
type: Warning
`
    expect(await ok("create", "-f", file("legacy.yaml", core))).toBe("event/legacy.1 created\n")
    const v1 = await json("get", "events.v1.events.k8s.io", "legacy.1", "-n", "default")
    expect(v1).toMatchObject({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      note: "written the old way",
      regarding: { kind: "ConfigMap", name: "target" },
      deprecatedSource: { component: "old-recorder" },
      deprecatedCount: 3,
      deprecatedFirstTimestamp: "2026-01-01T00:00:00Z",
      deprecatedLastTimestamp: "2026-01-01T00:05:00Z",
      type: "Warning"
    })
    expect(v1.message).toBeUndefined()
    expect(v1.involvedObject).toBeUndefined()
    const selected = await json("get", "events.events.k8s.io", "-n", "default", "--field-selector", "regarding.name=target,reason=Old")
    expect(selected.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(["legacy.1"])
  })

  it("merge patches name the view's fields; strict fields, v1 rules and NotFound are the view's", async () => {
    expect(await ok("patch", "events.events.k8s.io", "recorded.1", "-n", "default", "--type=merge", "-p",
      `{"series":{"count":2,"lastObservedTime":"2026-01-02T03:05:00.000000Z"},"note":"synced again"}`)).toBe("event.events.k8s.io/recorded.1 patched\n")
    expect((await json("get", "events", "recorded.1", "-n", "default"))).toMatchObject({ message: "synced again", series: { count: 2 } })

    const strict = await k("create", "-f", file("strict.yaml", `apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: strict.1, namespace: default}
eventTime: "2026-01-02T03:04:05.000000Z"
reportingController: x
reportingInstance: y
action: A
reason: B
type: Normal
message: core name
`))
    expect(strict.code).toBe(1)
    expect(strict.stderr).toContain(`unknown field "message"`)

    const { eventTime: _t, ...noTime } = v1Event("incomplete.1", "n")
    const invalid = await d.request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", { ...noTime, deprecatedCount: 2 })
    expect(invalid.status).toBe(422)
    expect(invalid.body.message).toContain("eventTime: Required value")
    expect(invalid.body.message).toContain("deprecatedCount: Invalid value")

    const missing = await k("get", "events.events.k8s.io", "nope", "-n", "default")
    expect(missing.stderr).toContain(`events.events.k8s.io "nope" not found`)
  })

  it("watches through either group see writes through the other", async () => {
    const v1Watch = watchFor(["get", "events.events.k8s.io", "-n", "default", "-w", "-o", "custom-columns=NAME:.metadata.name,NOTE:.note"])
    const coreWatch = watchFor(["get", "events", "-n", "default", "-w", "-o", "custom-columns=NAME:.metadata.name,MESSAGE:.message"])
    try {
      await v1Watch.until(/recorded\.1\s+synced again/)
      await coreWatch.until(/recorded\.1\s+synced again/)
      expect((await d.request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", v1Event("watched.1", "seen by both"))).status).toBe(201)
      await ok("create", "-f", file("watched2.yaml", `apiVersion: v1
kind: Event
metadata: {name: watched.2, namespace: default}
involvedObject: {kind: ConfigMap, namespace: default, name: target}
reason: Core
message: core write
type: Normal
`))
      await v1Watch.until(/watched\.1\s+seen by both/)
      await v1Watch.until(/watched\.2\s+core write/)
      await coreWatch.until(/watched\.1\s+seen by both/)
      await coreWatch.until(/watched\.2\s+core write/)
      await ok("delete", "events.events.k8s.io", "watched.1", "-n", "default")
      expect((await k("get", "events", "watched.1", "-n", "default")).code).toBe(1)
    } finally {
      await v1Watch.stop()
      await coreWatch.stop()
    }
  })
})

describe("admissionregistration.k8s.io/v1 webhook configurations", () => {
  it("lists rdd's built-in admission under the Go tool's names", async () => {
    const table = await ok("get", "validatingwebhookconfigurations,mutatingwebhookconfigurations")
    expect(table).toMatch(/validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/app-validator\s+1\s+\d+s/)
    expect(table).toMatch(/validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/limavm-validator\s+1\s/)
    expect(table).toMatch(/validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/limavm-configmap-validator\s+1\s/)
    expect(table).toMatch(/mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/limavm-defaulter\s+1\s/)
    expect(table).toMatch(/mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/app-defaulter\s+1\s/)
    const defaulter = await json("get", "mutatingwebhookconfiguration", "limavm-defaulter")
    expect(defaulter.webhooks).toEqual([expect.objectContaining({
      name: "limavm-defaulter.lima.rancherdesktop.io",
      rules: [expect.objectContaining({ apiGroups: ["lima.rancherdesktop.io"], resources: ["limavms"], operations: ["CREATE"] })],
      sideEffects: "NoneOnDryRun",
      failurePolicy: "Fail"
    })])
    const cmValidator = await json("get", "validatingwebhookconfiguration", "limavm-configmap-validator")
    expect(cmValidator.webhooks[0].rules[0]).toMatchObject({ apiGroups: [""], resources: ["configmaps"], operations: ["CREATE", "UPDATE", "DELETE"] })
  })

  it("kubectl wait --for=create returns at once; a missing name is NotFound", async () => {
    const r = await k("wait", "--for=create", "mutatingwebhookconfiguration/limavm-defaulter", "--timeout=10s")
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe("mutatingwebhookconfiguration.admissionregistration.k8s.io/limavm-defaulter condition met\n")
    const missing = await k("get", "validatingwebhookconfiguration", "nope")
    expect(missing.stderr).toContain(`validatingwebhookconfigurations.admissionregistration.k8s.io "nope" not found`)
  })

  it("user webhook configurations are refused: rdd does not call user webhooks", async () => {
    const created = await k("create", "-f", file("hook.yaml", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: user-hook}
webhooks:
- name: user-hook.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "https://127.0.0.1:1/validate"}
  rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
`))
    expect(created.code).toBe(1)
    expect(created.stderr).toContain("MethodNotAllowed")
    expect(created.stderr).toContain("rdd does not call user-registered admission webhooks")
    const deleted = await k("delete", "mutatingwebhookconfiguration", "limavm-defaulter")
    expect(deleted.code).toBe(1)
    expect(deleted.stderr).toContain("read-only")
    expect((await ok("get", "mutatingwebhookconfiguration", "limavm-defaulter", "-o", "name"))).toBe(
      "mutatingwebhookconfiguration.admissionregistration.k8s.io/limavm-defaulter\n"
    )
  })
})

describe("kubectl explain", () => {
  const userCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.explain.example.com
spec:
  group: explain.example.com
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        description: A Gizmo is a made-up thing that explain describes.
        properties:
          spec:
            type: object
            description: What the gizmo should be.
            required: [size]
            properties:
              size: {type: integer, description: "How big the gizmo is, in gizmo units."}
              colour: {type: string, description: The colour to paint it.}
`

  it("explains a CRD's fields from its structural schema (LimaVM, a user CRD)", async () => {
    const templateRef = await ok("explain", "limavm.spec.templateRef")
    expect(templateRef).toMatch(/GROUP:\s+lima\.rancherdesktop\.io\nKIND:\s+LimaVM\nVERSION:\s+v1alpha1/)
    expect(templateRef).toMatch(/FIELD: templateRef <Object>/)
    expect(templateRef).toContain("The ConfigMap (data key `template`) holding the Lima template")
    expect(templateRef).toMatch(/name\s+<string> -required-\n\s+Name of the template ConfigMap\./)

    expect(await ok("apply", "-f", file("gizmo-crd.yaml", userCrd))).toBe("customresourcedefinition.apiextensions.k8s.io/gizmos.explain.example.com created\n")
    await ok("wait", "--for=condition=Established", "crd/gizmos.explain.example.com", "--timeout=20s")
    const spec = await ok("explain", "gizmo.spec")
    expect(spec).toContain("What the gizmo should be.")
    expect(spec).toMatch(/size\s+<integer> -required-\n\s+How big the gizmo is, in gizmo units\./)
    expect(spec).toMatch(/colour\s+<string>\n\s+The colour to paint it\./)
    const top = await ok("explain", "gizmos")
    expect(top).toContain("A Gizmo is a made-up thing that explain describes.")
    expect(top).toMatch(/metadata\s+<ObjectMeta>/)
    expect(await ok("explain", "gizmo.metadata.labels")).toContain("Map of string keys and values")
  })

  it("explains the built-in kinds, including the new API groups", async () => {
    expect(await ok("explain", "configmap.data")).toContain("Data contains the configuration data.")
    expect(await ok("explain", "events.note", "--api-version=events.k8s.io/v1")).toContain("note is a human-readable description")
    expect(await ok("explain", "events.message")).toContain("A human-readable description of the status of this operation.")
    expect(await ok("explain", "selfsubjectaccessreview.spec.resourceAttributes.verb")).toContain("Verb is a kubernetes resource API verb")
    expect(await ok("explain", "mutatingwebhookconfiguration.webhooks.sideEffects")).toContain("NoneOnDryRun")
    expect(await ok("explain", "crd.spec.names.shortNames")).toMatch(/FIELD: shortNames <\[\]string>[\s\S]*shortNames are short names for the resource/)
  })

  it("create -f and client-side apply still validate on the server and patch as before", async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: explained\n  namespace: default\ndata:\n  v: "${v}"\n`
    expect(await ok("apply", "-f", file("e1.yaml", cm("1")))).toBe("configmap/explained created\n")
    expect(await ok("apply", "-f", file("e2.yaml", cm("2")))).toBe("configmap/explained configured\n")
    const bad = await k("create", "-f", file("e3.yaml", `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: default}\nbogus: 1\n`))
    expect(bad.stderr).toContain(`strict decoding error: unknown field "bogus"`)
  })
})
