/**
 * The real kubectl (on PATH, 1.32 through its version dispatcher) against a real
 * daemon, with the kubeconfig the daemon writes and a discovery cache of its own
 * (reference/kubernetes-wire.md). Covers the acceptance list of issue 3.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { startDaemon, stopAll, type TestDaemon } from "../support/daemon.js"

let d: TestDaemon
const manifests = () => path.join(d.home, "manifests")
const file = (name: string, content: string) => {
  fs.mkdirSync(manifests(), { recursive: true })
  const p = path.join(manifests(), name)
  fs.writeFileSync(p, content)
  return p
}
const k = async (...args: Array<string>) => {
  const r = await d.kubectl(args)
  return r
}
const ok = async (...args: Array<string>) => {
  const r = await d.kubectl(args)
  expect(r.stderr, `kubectl ${args.join(" ")}`).toBe("")
  expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0)
  return r.stdout
}
const json = async (...args: Array<string>) => JSON.parse(await ok(...args, "-o", "json"))

/** Starts `kubectl get -w`, returns a handle that resolves once `pattern` appears in its output. */
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
    output: () => out,
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

beforeAll(async () => {
  d = await startDaemon()
}, 60_000)
afterAll(stopAll, 30_000)

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd], categories: [all, gadgets]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Phase, type: string, jsonPath: .status.phase}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [color]
            properties:
              color: {type: string, enum: [red, green, blue]}
              size: {type: integer, default: 3, minimum: 1}
          status:
            type: object
            properties:
              phase: {type: string}
`

describe("kubectl against the daemon", () => {
  it("talks to the server as kubectl v1.32 (the dispatcher picks it from /version)", async () => {
    const out = await ok("version", "-o", "json")
    const v = JSON.parse(out)
    expect(v.serverVersion).toMatchObject({ major: "1", minor: "32" })
    expect(v.clientVersion.gitVersion).toMatch(/^v1\.32\.4/)
  })

  it("imperative creates send protobuf bodies: namespace, configmap, secret, serviceaccount", async () => {
    expect(await ok("create", "namespace", "e2e")).toBe("namespace/e2e created\n")
    expect(await ok("create", "configmap", "c1", "-n", "e2e", "--from-literal=a=b")).toBe("configmap/c1 created\n")
    expect(await ok("create", "secret", "generic", "s1", "-n", "e2e", "--from-literal=x=y")).toBe("secret/s1 created\n")
    expect(await ok("create", "serviceaccount", "sa1", "-n", "e2e")).toBe("serviceaccount/sa1 created\n")
    expect(await ok("create", "configmap", "dry", "-n", "e2e", "--dry-run=server")).toBe("configmap/dry created (server dry run)\n")
    const again = await k("create", "configmap", "c1", "-n", "e2e")
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`configmaps "c1" already exists`)
    expect((await json("get", "secret", "s1", "-n", "e2e")).data.x).toBe(Buffer.from("y").toString("base64"))
    expect((await json("get", "cm", "c1", "-n", "e2e")).data).toEqual({ a: "b" })
    expect((await k("get", "cm", "dry", "-n", "e2e")).code).toBe(1)
  })

  it("get prints server-rendered tables; describe lists events; missing objects are NotFound", async () => {
    const table = await ok("get", "cm", "-n", "e2e")
    expect(table).toMatch(/^NAME\s+DATA\s+AGE\n/)
    expect(table).toMatch(/c1\s+1\s+\d+s/)
    expect(await ok("get", "ns", "e2e")).toMatch(/e2e\s+Active/)
    const describe = await ok("describe", "cm", "c1", "-n", "e2e")
    expect(describe).toContain("Name:         c1")
    expect(describe).toContain("Events:  <none>")
    const missing = await k("get", "cm", "nope", "-n", "e2e")
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`Error from server (NotFound): configmaps "nope" not found`)
  })

  it("create -f, apply -f (create, unchanged, configure), apply --dry-run=server, strict fields", async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: e2e\ndata:\n  v: "${v}"\n`
    expect(await ok("apply", "-f", file("a1.yaml", cm("1")))).toBe("configmap/applied created\n")
    expect(await ok("apply", "-f", file("a1.yaml", cm("1")))).toBe("configmap/applied unchanged\n")
    expect(await ok("apply", "--dry-run=server", "-f", file("a2.yaml", cm("2")))).toBe("configmap/applied configured (server dry run)\n")
    expect((await json("get", "cm", "applied", "-n", "e2e")).data.v).toBe("1")
    expect(await ok("apply", "-f", file("a2.yaml", cm("2")))).toBe("configmap/applied configured\n")
    expect((await json("get", "cm", "applied", "-n", "e2e")).data.v).toBe("2")
    expect(await ok("create", "-f", file("c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: created\n  namespace: e2e\n"))).toBe(
      "configmap/created created\n"
    )
    const bad = await k("create", "-f", file("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: e2e\nbogus: 1\n"))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain(`strict decoding error: unknown field "bogus"`)
    const ssa = await ok("apply", "--server-side", "-f", file("a3.yaml", cm("3")))
    expect(ssa).toBe("configmap/applied serverside-applied\n")
  })

  it("apply --server-side: removes fields it no longer applies, detects conflicts, --force-conflicts takes over", async () => {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: e2e\ndata:\n${data}`
    expect(await ok("apply", "--server-side", "-f", file("s1.yaml", cm("  a: \"1\"\n  b: \"2\"\n")))).toBe("configmap/ssa serverside-applied\n")
    expect(await ok("apply", "--server-side", "-f", file("s2.yaml", cm("  a: \"1\"\n")))).toBe("configmap/ssa serverside-applied\n")
    expect((await json("get", "cm", "ssa", "-n", "e2e")).data).toEqual({ a: "1" })
    const conflict = await k("apply", "--server-side", "--field-manager=other", "-f", file("s3.yaml", cm("  a: \"9\"\n")))
    expect(conflict.code).toBe(1)
    expect(conflict.stderr).toContain(`Apply failed with 1 conflict: conflict with "kubectl": .data.a`)
    expect(await ok("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", file("s3.yaml", cm("  a: \"9\"\n")))).toBe(
      "configmap/ssa serverside-applied\n"
    )
    expect((await json("get", "cm", "ssa", "-n", "e2e")).data).toEqual({ a: "9" })
    const managers = (await json("get", "cm", "ssa", "-n", "e2e", "--show-managed-fields")).metadata.managedFields.map((m: { manager: string }) => m.manager)
    expect(managers.sort()).toEqual(["kubectl", "other"])
  })

  it("label, annotate, patch --type=merge|json|strategic", async () => {
    expect(await ok("label", "cm", "c1", "-n", "e2e", "tier=web")).toBe("configmap/c1 labeled\n")
    expect(await ok("annotate", "cm", "c1", "-n", "e2e", "note=hi")).toBe("configmap/c1 annotated\n")
    expect(await ok("patch", "cm", "c1", "-n", "e2e", "--type=merge", "-p", `{"data":{"m":"1"}}`)).toBe("configmap/c1 patched\n")
    expect(await ok("patch", "cm", "c1", "-n", "e2e", "--type=json", "-p", `[{"op":"add","path":"/data/j","value":"2"}]`)).toBe("configmap/c1 patched\n")
    expect(await ok("patch", "cm", "c1", "-n", "e2e", "--type=strategic", "-p", `{"metadata":{"finalizers":["a.io/x"]},"data":{"s":"3"}}`)).toBe(
      "configmap/c1 patched\n"
    )
    const c1 = await json("get", "cm", "c1", "-n", "e2e")
    expect(c1.data).toEqual({ a: "b", m: "1", j: "2", s: "3" })
    expect(c1.metadata.labels).toEqual({ tier: "web" })
    expect(c1.metadata.annotations).toEqual({ note: "hi" })
    expect(c1.metadata.finalizers).toEqual(["a.io/x"])
    expect((await ok("get", "cm", "-n", "e2e", "-l", "tier=web", "-o", "name"))).toBe("configmap/c1\n")
    expect((await ok("get", "cm", "-n", "e2e", "-l", "tier notin (web)", "-o", "name"))).not.toContain("configmap/c1")
  })

  it("namespaces: apply -f, label, annotate, patch, describe", async () => {
    const ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: e2e-ns\n  labels:\n    team: a\n"
    expect(await ok("apply", "-f", file("ns.yaml", ns))).toBe("namespace/e2e-ns created\n")
    expect(await ok("apply", "--dry-run=server", "-f", file("ns2.yaml", ns.replace("team: a", "team: b")))).toBe("namespace/e2e-ns configured (server dry run)\n")
    expect(await ok("label", "ns", "e2e-ns", "env=test")).toBe("namespace/e2e-ns labeled\n")
    expect(await ok("annotate", "ns", "e2e-ns", "owner=me")).toBe("namespace/e2e-ns annotated\n")
    expect(await ok("patch", "ns", "e2e-ns", "--type=merge", "-p", `{"metadata":{"labels":{"team":"c"}}}`)).toBe("namespace/e2e-ns patched\n")
    const got = await json("get", "ns", "e2e-ns")
    expect(got.metadata.labels).toEqual({ team: "c", env: "test" })
    expect(got.metadata.annotations.owner).toBe("me")
    expect(got.status.phase).toBe("Active")
    const described = await ok("describe", "ns", "e2e-ns")
    expect(described).toMatch(/Name:\s+e2e-ns/)
    expect(described).toMatch(/Status:\s+Active/)
    expect(await ok("get", "ns", "-l", "env=test", "-o", "name")).toBe("namespace/e2e-ns\n")
    expect(await ok("delete", "ns", "e2e-ns")).toBe(`namespace "e2e-ns" deleted\n`)
  })

  it("an object with a finalizer stays (with deletionTimestamp) until the finalizer is removed", async () => {
    expect(await ok("delete", "cm", "c1", "-n", "e2e", "--wait=false")).toBe(`configmap "c1" deleted\n`)
    const held = await json("get", "cm", "c1", "-n", "e2e")
    expect(held.metadata.deletionTimestamp).toBeDefined()
    const waiter = d.kubectl(["wait", "--for=delete", "cm/c1", "-n", "e2e", "--timeout=20s"])
    await ok("patch", "cm", "c1", "-n", "e2e", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
    expect((await waiter).code).toBe(0)
    expect((await k("get", "cm", "c1", "-n", "e2e")).code).toBe(1)
  })

  it("ownerReferences cascade: background deletes dependents, orphan keeps them", async () => {
    await ok("create", "configmap", "owner", "-n", "e2e")
    const uid = (await json("get", "cm", "owner", "-n", "e2e")).metadata.uid
    const dependent = (name: string, ownerUid: string) =>
      file(`${name}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: e2e\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: ${ownerUid}}\n`)
    await ok("create", "-f", dependent("dep1", uid))
    await ok("delete", "cm", "owner", "-n", "e2e")
    await ok("wait", "--for=delete", "cm/dep1", "-n", "e2e", "--timeout=10s")
    await ok("create", "configmap", "owner", "-n", "e2e")
    const uid2 = (await json("get", "cm", "owner", "-n", "e2e")).metadata.uid
    await ok("create", "-f", dependent("dep2", uid2))
    await ok("delete", "cm", "owner", "-n", "e2e", "--cascade=orphan")
    const dep2 = await json("get", "cm", "dep2", "-n", "e2e")
    expect(dep2.metadata.ownerReferences ?? []).toEqual([])
  })

  it("CRDs: create, Established, custom objects with defaults, validation, printer columns, status subresource, watch, delete", async () => {
    expect(await ok("apply", "-f", file("crd.yaml", crd))).toBe("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n")
    expect(await ok("wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s")).toContain("condition met")
    const widget = (name: string, color: string) => `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: e2e\nspec:\n  color: ${color}\n`
    const watch = watchFor(["get", "wd", "-n", "e2e", "-w"])
    try {
      expect(await ok("apply", "-f", file("w1.yaml", widget("w1", "red")))).toBe("widget.example.com/w1 created\n")
      await watch.until(/w1\s+red/)
      const w1 = await json("get", "wd", "w1", "-n", "e2e")
      expect(w1.spec).toEqual({ color: "red", size: 3 })
      expect(w1.metadata.generation).toBe(1)
      const invalid = await k("apply", "-f", file("w2.yaml", widget("w2", "pink")))
      expect(invalid.code).toBe(1)
      expect(invalid.stderr).toContain(`Unsupported value: "pink"`)
      expect(await ok("get", "gadgets", "-n", "e2e")).toMatch(/w1\s+red/)
      expect(await ok("describe", "wd", "w1", "-n", "e2e")).toMatch(/Kind:\s+Widget/)
      expect(await ok("patch", "wd", "w1", "-n", "e2e", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Ready"}}`)).toBe(
        "widget.example.com/w1 patched\n"
      )
      expect(await ok("get", "wd", "w1", "-n", "e2e")).toMatch(/^NAME\s+COLOR\s+PHASE\nw1\s+red\s+Ready\n$/)
      expect((await json("get", "wd", "w1", "-n", "e2e")).metadata.generation).toBe(1)
      await ok("patch", "wd", "w1", "-n", "e2e", "--type=merge", "-p", `{"spec":{"color":"blue"},"status":{"phase":"ignored"}}`)
      const patched = await json("get", "wd", "w1", "-n", "e2e")
      expect(patched.metadata.generation).toBe(2)
      expect(patched.status.phase).toBe("Ready")
      await watch.until(/w1\s+blue/)
      const strategic = await k("patch", "wd", "w1", "-n", "e2e", "-p", `{"spec":{"size":4}}`)
      expect(strategic.code).toBe(1)
      expect(strategic.stderr).toContain("application/strategic-merge-patch+json is not supported")
      expect(await ok("delete", "wd", "w1", "-n", "e2e")).toBe(`widget.example.com "w1" deleted\n`)
    } finally {
      await watch.stop()
    }
  })

  it("get -w on namespaces and configmaps streams changes", async () => {
    const watch = watchFor(["get", "cm", "-n", "e2e", "-w", "-o", "name"])
    try {
      await ok("create", "configmap", "watched", "-n", "e2e")
      await watch.until(/configmap\/watched/)
    } finally {
      await watch.stop()
    }
    const nsWatch = watchFor(["get", "ns", "-w"])
    try {
      await ok("create", "namespace", "watched-ns")
      await nsWatch.until(/watched-ns\s+Active/)
    } finally {
      await nsWatch.stop()
    }
  })

  it("deleting a namespace removes its contents, custom objects included", async () => {
    await ok("apply", "-f", file("w3.yaml", `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w3\n  namespace: e2e\nspec:\n  color: green\n`))
    expect(await ok("delete", "namespace", "e2e", "--timeout=30s")).toBe(`namespace "e2e" deleted\n`)
    expect((await k("get", "ns", "e2e")).code).toBe(1)
    await ok("create", "namespace", "e2e")
    expect(await ok("get", "cm,wd", "-n", "e2e", "-o", "name")).toBe("")
  })

  it("deleting the CRD removes the resource", async () => {
    await ok("delete", "crd", "widgets.example.com")
    const r = await d.request("GET", "/apis/example.com/v1/namespaces/e2e/widgets")
    expect(r.status).toBe(404)
  })
})
