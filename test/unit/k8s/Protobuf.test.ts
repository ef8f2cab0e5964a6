import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Protobuf from "../../../src/domain/k8s/Protobuf.js"

// Bodies captured from the real kubectl 1.32.4 (`kubectl create ... --dry-run=server`
// against a logging HTTPS server), hex-encoded.
const captured = {
  configmap: // create configmap x --from-literal=a=b --from-literal=empty=
    "6b3873000a0f0a0276311209436f6e6669674d617012260a110a017812001a0022002a0032003800420012060a016112016212090a05656d70747912001a002200",
  secret: // create secret generic s1 --from-literal=p=q --from-file=f=f.bin (bytes 62 69 6e 00 01) --type=Opaque
    "6b3873000a0c0a027631120653656372657412300a120a02733112001a0022002a00320038004200120a0a0166120562696e000112060a01701201711a064f70617175651a002200",
  namespace: // create namespace ns1
    "6b3873000a0f0a02763112094e616d657370616365121b0a130a036e733112001a0022002a0032003800420012001a020a001a002200",
  serviceaccount: // create serviceaccount sa2 -n kube-x
    "6b3873000a140a027631120e536572766963654163636f756e74121b0a190a0373613212001a066b7562652d7822002a003200380042001a002200",
  saveConfig: // create configmap saved --from-literal=a=b --save-config
    "6b3873000a0f0a0276311209436f6e6669674d617012c4010ab9010a05736176656412001a0022002a0032003800420062a1010a306b75626563746c2e6b756265726e657465732e696f2f6c6173742d6170706c6965642d636f6e66696775726174696f6e126d7b226b696e64223a22436f6e6669674d6170222c2261706956657273696f6e223a227631222c226d65746164617461223a7b226e616d65223a227361766564222c226372656174696f6e54696d657374616d70223a6e756c6c7d2c2264617461223a7b2261223a2262227d7d0a12060a01611201621a002200"
}
const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)))
const decoded = (h: string | Uint8Array) => Either.getOrThrow(Protobuf.decode(typeof h === "string" ? hex(h) : h))

// ---- a tiny encoder, to build bodies the captures do not cover ----
const varint = (n: number | bigint): Array<number> => {
  let x = BigInt.asUintN(64, BigInt(n))
  const out: Array<number> = []
  do {
    let b = Number(x & 0x7fn)
    x >>= 7n
    if (x > 0n) b |= 0x80
    out.push(b)
  } while (x > 0n)
  return out
}
type F = [number, string | number | bigint | boolean | Uint8Array | Array<number>]
const enc = (...fs: Array<F>): Array<number> =>
  fs.flatMap(([no, v]) => {
    if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return [...varint(no << 3), ...varint(typeof v === "boolean" ? (v ? 1 : 0) : v)]
    const b = typeof v === "string" ? [...new TextEncoder().encode(v)] : [...v]
    return [...varint((no << 3) | 2), ...varint(b.length), ...b]
  })
const entry = (k: string, v: string | Uint8Array): Array<number> => enc([1, k], [2, v])
const envelope = (apiVersion: string, kind: string, raw: Array<number>) =>
  new Uint8Array([...Protobuf.magic, ...enc([1, enc([1, apiVersion], [2, kind])], [2, raw], [3, ""], [4, ""])])

describe("Protobuf", () => {
  it("decodes kubectl's create configmap body", () => {
    expect(decoded(captured.configmap)).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "b", empty: "" } })
  })

  it("decodes kubectl's secret body, with data as base64", () => {
    expect(decoded(captured.secret)).toEqual({
      apiVersion: "v1", kind: "Secret", metadata: { name: "s1" }, data: { f: "YmluAAE=", p: "cQ==" }, type: "Opaque"
    })
  })

  it("decodes namespace and serviceaccount bodies", () => {
    expect(decoded(captured.namespace)).toEqual({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ns1" } })
    expect(decoded(captured.serviceaccount)).toEqual({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa2", namespace: "kube-x" } })
  })

  it("decodes annotations (--save-config)", () => {
    const o = decoded(captured.saveConfig) as { metadata: { annotations: Record<string, string> } }
    expect(JSON.parse(o.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] ?? "")).toEqual({
      kind: "ConfigMap", apiVersion: "v1", metadata: { name: "saved", creationTimestamp: null }, data: { a: "b" }
    })
  })

  it("decodes every ObjectMeta field rdd uses, binaryData, immutable and namespace finalizers", () => {
    const meta = enc(
      [1, "n1"], [2, "gen-"], [3, "ns"], [5, "uid-1"], [6, "42"], [7, 3], [8, enc([1, 1767225600])],
      [11, entry("app", "web")], [11, entry("tier", "db")], [12, entry("a.io/x", "y")],
      [13, enc([1, "ConfigMap"], [3, "owner"], [4, "u0"], [5, "v1"], [6, true])],
      [14, "a.io/f"], [14, "b.io/g"]
    )
    expect(decoded(envelope("v1", "ConfigMap", enc([1, meta], [3, entry("bin", new Uint8Array([0, 255]))], [4, true])))).toEqual({
      apiVersion: "v1", kind: "ConfigMap",
      metadata: {
        name: "n1", generateName: "gen-", namespace: "ns", uid: "uid-1", resourceVersion: "42", generation: 3,
        creationTimestamp: "2026-01-01T00:00:00Z", labels: { app: "web", tier: "db" }, annotations: { "a.io/x": "y" },
        ownerReferences: [{ kind: "ConfigMap", name: "owner", uid: "u0", apiVersion: "v1", controller: true }],
        finalizers: ["a.io/f", "b.io/g"]
      },
      binaryData: { bin: "AP8=" },
      immutable: true
    })
    expect(decoded(envelope("v1", "Namespace", enc([1, enc([1, "n"])], [2, enc([1, "kubernetes"])])))).toEqual({
      apiVersion: "v1", kind: "Namespace", metadata: { name: "n" }, spec: { finalizers: ["kubernetes"] }
    })
    expect(decoded(envelope("v1", "Secret", enc([1, enc([1, "s"])], [4, entry("k", "v")], [5, false])))).toEqual({
      apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { k: "v" }, immutable: false
    })
    expect(decoded(envelope("v1", "ServiceAccount", enc([1, enc([1, "sa"])], [2, enc([3, "tok"])], [3, enc([1, "pull"])], [4, false])))).toEqual({
      apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa" }, secrets: [{ name: "tok" }], imagePullSecrets: [{ name: "pull" }],
      automountServiceAccountToken: false
    })
  })

  it("decodes the access reviews of kubectl auth can-i", () => {
    const resource = enc([1, "ns1"], [2, "create"], [3, ""], [5, "configmaps"])
    expect(decoded(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", enc([1, []], [2, enc([1, resource])])))).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: {},
      spec: { resourceAttributes: { namespace: "ns1", verb: "create", resource: "configmaps" } }
    })
    expect(decoded(envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", enc([2, enc([2, enc([1, "/healthz"], [2, "get"])])])))).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { nonResourceAttributes: { path: "/healthz", verb: "get" } }
    })
    expect(decoded(envelope("authorization.k8s.io/v1", "SelfSubjectRulesReview", enc([2, enc([1, "default"])])))).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectRulesReview",
      spec: { namespace: "default" }
    })
  })

  it("rejects unsupported kinds, bad magic and malformed bytes with a clear message", () => {
    expect(Protobuf.decode(envelope("apps/v1", "Deployment", []))).toEqual(
      Either.left("protobuf bodies are not supported for apps/v1, Kind=Deployment")
    )
    expect(Protobuf.decode(new TextEncoder().encode('{"kind":"ConfigMap"}'))).toEqual(Either.left("protobuf body does not start with the k8s\\0 magic"))
    const truncated = hex(captured.configmap).subarray(0, 30)
    expect(Either.getLeft(Protobuf.decode(truncated))._tag).toBe("Some")
    expect(Protobuf.decode(new Uint8Array([...Protobuf.magic, 0x0b]))).toEqual(Either.left("invalid protobuf body: unsupported protobuf wire type 3 (field 1)"))
  })

  it("base64 matches the standard alphabet and padding", () => {
    const cases: Array<[string, string]> = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foobar", "Zm9vYmFy"]]
    for (const [s, b] of cases) expect(Protobuf.toBase64(new TextEncoder().encode(s))).toBe(b)
  })
})
