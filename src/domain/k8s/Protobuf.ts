/**
 * Decoder for the protobuf request bodies kubectl 1.32 sends for imperative
 * `create configmap|secret|namespace|serviceaccount` and `auth can-i|whoami`
 * (`Content-Type: application/vnd.kubernetes.protobuf`): the `k8s\0` magic, a
 * runtime.Unknown envelope {1 typeMeta {1 apiVersion, 2 kind}, 2 raw}, and
 * inside `raw` the object with the field numbers of k8s.io/api generated.proto.
 * The result is the plain JSON object the server would have received as JSON,
 * so the rest of the write path is shared. Zero-length strings, zero integers
 * and empty timestamps are what Go writes for unset fields: they are dropped.
 */
import * as Either from "effect/Either"
import type { Json, JsonObject, MutableJsonObject } from "./Json.js"
import { set } from "./Json.js"

export const magic = new Uint8Array([0x6b, 0x38, 0x73, 0x00])
export const contentType = "application/vnd.kubernetes.protobuf"

type Field = readonly [no: number, wire: 0 | 2, value: bigint | Uint8Array]

class DecodeError {
  constructor(readonly message: string) {}
}

/** Splits one message into its fields (wire types 0 and 2 carry data; 1 and 5 are skipped). */
const fields = (b: Uint8Array): ReadonlyArray<Field> => {
  const out: Array<Field> = []
  let i = 0
  const varint = (): bigint => {
    let x = 0n
    let shift = 0n
    for (;;) {
      if (i >= b.length) throw new DecodeError("truncated varint")
      const c = b[i++] ?? 0
      x |= BigInt(c & 0x7f) << shift
      if ((c & 0x80) === 0) return x
      shift += 7n
      if (shift > 70n) throw new DecodeError("varint too long")
    }
  }
  while (i < b.length) {
    const tag = Number(varint())
    const no = tag >> 3
    const wt = tag & 7
    if (wt === 0) out.push([no, 0, varint()])
    else if (wt === 2) {
      const n = Number(varint())
      if (i + n > b.length) throw new DecodeError(`field ${no}: length ${n} beyond end of message`)
      out.push([no, 2, b.subarray(i, i + n)])
      i += n
    } else if (wt === 1) i += 8
    else if (wt === 5) i += 4
    else throw new DecodeError(`unsupported protobuf wire type ${wt} (field ${no})`)
  }
  if (i > b.length) throw new DecodeError("truncated fixed-width field")
  return out
}

const utf8 = new TextDecoder("utf-8", { fatal: true })
const text = (v: bigint | Uint8Array): string => {
  if (typeof v === "bigint") throw new DecodeError("expected a length-delimited field, got a varint")
  try {
    return utf8.decode(v)
  } catch {
    throw new DecodeError("invalid UTF-8 in a string field")
  }
}
const bytes = (v: bigint | Uint8Array): Uint8Array => {
  if (typeof v === "bigint") throw new DecodeError("expected a length-delimited field, got a varint")
  return v
}
const int = (v: bigint | Uint8Array): number => {
  if (typeof v !== "bigint") throw new DecodeError("expected a varint field")
  return Number(BigInt.asIntN(64, v))
}
const bool = (v: bigint | Uint8Array): boolean => int(v) !== 0

/** base64 as JSON encodes []byte (no dependency on node:buffer). */
export const toBase64 = (b: Uint8Array): string => {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  let out = ""
  for (let i = 0; i < b.length; i += 3) {
    const n = ((b[i] ?? 0) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0)
    out += abc[(n >> 18) & 63]! + abc[(n >> 12) & 63]!
    out += i + 1 < b.length ? abc[(n >> 6) & 63]! : "="
    out += i + 2 < b.length ? abc[n & 63]! : "="
  }
  return out
}

/** A map<string, T> field: repeated entries {1 key, 2 value}. */
const mapEntry = (v: bigint | Uint8Array, value: (x: bigint | Uint8Array) => Json): [string, Json] => {
  let key = ""
  let val: Json = value(new Uint8Array(0))
  for (const [no, , x] of fields(bytes(v))) {
    if (no === 1) key = text(x)
    else if (no === 2) val = value(x)
  }
  return [key, val]
}

/** metav1.Time {1 seconds, 2 nanos} → RFC 3339 at second precision; zero → absent. */
const time = (v: bigint | Uint8Array): string | undefined => {
  let seconds = 0
  for (const [no, , x] of fields(bytes(v))) if (no === 1) seconds = int(x)
  return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")
}

type Shape = Record<number, (o: MutableJsonObject, v: bigint | Uint8Array) => void>

const decodeWith = (shape: Shape, b: Uint8Array): MutableJsonObject => {
  const o: MutableJsonObject = {}
  for (const [no, , v] of fields(b)) shape[no]?.(o, v)
  return o
}

const str = (name: string) => (o: MutableJsonObject, v: bigint | Uint8Array) => {
  const s = text(v)
  if (s !== "") set(o, name, s)
}
const num = (name: string) => (o: MutableJsonObject, v: bigint | Uint8Array) => {
  const n = int(v)
  if (n !== 0) set(o, name, n)
}
const flag = (name: string) => (o: MutableJsonObject, v: bigint | Uint8Array) => set(o, name, bool(v))
const strList = (name: string) => (o: MutableJsonObject, v: bigint | Uint8Array) => {
  const prev = o[name]
  set(o, name, [...(Array.isArray(prev) ? (prev as ReadonlyArray<Json>) : []), text(v)])
}
const msgList = (name: string, shape: Shape) => (o: MutableJsonObject, v: bigint | Uint8Array) => {
  const prev = o[name]
  set(o, name, [...(Array.isArray(prev) ? (prev as ReadonlyArray<Json>) : []), decodeWith(shape, bytes(v))])
}
const msg = (name: string, shape: Shape) => (o: MutableJsonObject, v: bigint | Uint8Array) =>
  set(o, name, decodeWith(shape, bytes(v)))
const map = (name: string, value: (x: bigint | Uint8Array) => Json) => (o: MutableJsonObject, v: bigint | Uint8Array) => {
  const prev = o[name]
  const m: MutableJsonObject = typeof prev === "object" && prev !== null && !Array.isArray(prev) ? { ...(prev as JsonObject) } : {}
  const [k, val] = mapEntry(v, value)
  set(m, k, val)
  set(o, name, m)
}
const stringValue = (x: bigint | Uint8Array): Json => text(x)
const bytesValue = (x: bigint | Uint8Array): Json => toBase64(bytes(x))
const timeField = (name: string) => (o: MutableJsonObject, v: bigint | Uint8Array) => {
  const t = time(v)
  if (t !== undefined) set(o, name, t)
}

const ownerReference: Shape = {
  1: str("kind"), 3: str("name"), 4: str("uid"), 5: str("apiVersion"), 6: flag("controller"), 7: flag("blockOwnerDeletion")
}

const objectMeta: Shape = {
  1: str("name"),
  2: str("generateName"),
  3: str("namespace"),
  5: str("uid"),
  6: str("resourceVersion"),
  7: num("generation"),
  8: timeField("creationTimestamp"),
  9: timeField("deletionTimestamp"),
  10: num("deletionGracePeriodSeconds"),
  11: map("labels", stringValue),
  12: map("annotations", stringValue),
  13: msgList("ownerReferences", ownerReference),
  14: strList("finalizers")
}

const objectReference: Shape = {
  1: str("kind"), 2: str("namespace"), 3: str("name"), 4: str("uid"), 5: str("apiVersion"), 6: str("resourceVersion"), 7: str("fieldPath")
}

const kinds: Record<string, Shape> = {
  "v1/ConfigMap": { 1: msg("metadata", objectMeta), 2: map("data", stringValue), 3: map("binaryData", bytesValue), 4: flag("immutable") },
  "v1/Secret": {
    1: msg("metadata", objectMeta), 2: map("data", bytesValue), 3: str("type"), 4: map("stringData", stringValue), 5: flag("immutable")
  },
  "v1/Namespace": {
    1: msg("metadata", objectMeta),
    2: msg("spec", { 1: strList("finalizers") }),
    3: msg("status", { 1: str("phase") })
  },
  "v1/ServiceAccount": {
    1: msg("metadata", objectMeta),
    2: msgList("secrets", objectReference),
    3: msgList("imagePullSecrets", { 1: str("name") }),
    4: flag("automountServiceAccountToken")
  },
  // `kubectl auth can-i` and `auth whoami` (k8s.io/api authorization/v1, authentication/v1 generated.proto)
  "authorization.k8s.io/v1/SelfSubjectAccessReview": {
    1: msg("metadata", objectMeta),
    2: msg("spec", {
      1: msg("resourceAttributes", {
        1: str("namespace"), 2: str("verb"), 3: str("group"), 4: str("version"), 5: str("resource"), 6: str("subresource"), 7: str("name")
      }),
      2: msg("nonResourceAttributes", { 1: str("path"), 2: str("verb") })
    })
  },
  "authorization.k8s.io/v1/SelfSubjectRulesReview": { 1: msg("metadata", objectMeta), 2: msg("spec", { 1: str("namespace") }) },
  "authentication.k8s.io/v1/SelfSubjectReview": { 1: msg("metadata", objectMeta) }
}

/** The kinds this decoder understands, as `apiVersion/kind`. */
export const supportedKinds: ReadonlyArray<string> = Object.keys(kinds)

export const hasMagic = (body: Uint8Array): boolean =>
  body.length >= 4 && magic.every((m, i) => body[i] === m)

/** Drops empty `spec`/`status` objects Go wrote for zero-valued structs. */
const dropEmpty = (o: MutableJsonObject): MutableJsonObject => {
  for (const k of ["spec", "status"]) {
    const v = o[k]
    if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) delete o[k]
  }
  return o
}

/**
 * Decodes a protobuf body into the JSON object it stands for (with
 * `apiVersion` and `kind` from the envelope). Left: why it cannot be decoded
 * (bad magic, malformed bytes, a kind outside `supportedKinds`: answer 415).
 */
export const decode = (body: Uint8Array): Either.Either<JsonObject, string> => {
  if (!hasMagic(body)) return Either.left("protobuf body does not start with the k8s\\0 magic")
  try {
    let apiVersion = ""
    let kind = ""
    let raw: Uint8Array | undefined
    let encoding = ""
    for (const [no, , v] of fields(body.subarray(4))) {
      if (no === 1) {
        for (const [tn, , tv] of fields(bytes(v))) {
          if (tn === 1) apiVersion = text(tv)
          else if (tn === 2) kind = text(tv)
        }
      } else if (no === 2) raw = bytes(v)
      else if (no === 3) encoding = text(v)
    }
    if (encoding !== "") return Either.left(`unsupported protobuf content encoding ${JSON.stringify(encoding)}`)
    const shape = kinds[`${apiVersion}/${kind}`]
    if (shape === undefined) {
      return Either.left(`protobuf bodies are not supported for ${apiVersion === "" ? "" : `${apiVersion}, Kind=`}${kind || "(no kind)"}`)
    }
    const obj = dropEmpty(decodeWith(shape, raw ?? new Uint8Array(0)))
    return Either.right({ apiVersion, kind, ...obj })
  } catch (e) {
    if (e instanceof DecodeError) return Either.left(`invalid protobuf body: ${e.message}`)
    throw e
  }
}
