/**
 * Request bodies: read with a hard size limit (413 beyond it, without buffering
 * the rest), then decoded by Content-Type: JSON (and the JSON patch types), YAML,
 * and the protobuf envelope kubectl's imperative creates send.
 */
import * as Effect from "effect/Effect"
import type * as http from "node:http"
import * as Protobuf from "../../domain/k8s/Protobuf.js"
import * as Eager from "../Eager.js"
import * as ApiError from "./ApiError.js"
import type { DeleteOptions } from "./Resources.js"

export type ReadResult =
  | { readonly _tag: "Ok"; readonly data: Buffer }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Error" }

/**
 * After a 413 the rest of the body is read and thrown away, up to this much, so
 * the client can finish sending and then read the answer: closing a socket with
 * unread data makes TCP reset it, and the client then loses the 413 it was sent
 * (it sees EPIPE or ECONNRESET instead). Beyond this, or when the client sends
 * nothing for `DrainIdleMs`, the connection is cut.
 */
export const DrainLimit = 64 * 1024 * 1024
/**
 * An idle bound, not a total one: a client starved of CPU on a loaded machine stops
 * for seconds mid-body and must still get its 413 (a 10 s total bound cut such
 * clients: their write failed with EPIPE). The server keeps no request bound either
 * (requestTimeout 0), so this only stops a client that has gone quiet.
 */
export const DrainIdleMs = 30_000

/** Discards the rest of `req`, bounded by DrainLimit bytes and DrainIdleMs without data. */
const drain = (req: http.IncomingMessage, alreadyRead: number): void => {
  let drained = alreadyRead
  const cut = () => req.socket.destroy()
  const timer = setTimeout(cut, DrainIdleMs)
  timer.unref()
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length
    if (drained > DrainLimit) cut()
    else timer.refresh()
  })
  req.once("close", () => clearTimeout(timer))
  req.resume()
}

/**
 * Before answering a request whose body is still being drained: Node closes the
 * connection right after the answer when the client asked for `Connection: close`
 * (Node's own client does with `agent: false`), and a close with the rest of the
 * body unread resets it, so a client still sending never reads its 413 (EPIPE, or a
 * reset that drops the answer it had received). The connection stays open while the
 * drain lasts and is closed in order (FIN) once the client has sent everything.
 */
export const lingerWhileDraining = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  if (req.complete) return
  if (!res.shouldKeepAlive) {
    req.once("end", () => req.socket.end())
    // no Connection header: the client asked to close, and will; Node must only not close first
    res.removeHeader("Connection")
    res.shouldKeepAlive = true
  }
}

/** The request announces (Content-Length) a body over the limit: refused before a byte is read. */
export const declaredTooLarge = (req: http.IncomingMessage, limit: number): boolean =>
  Number(req.headers["content-length"] ?? "0") > limit

export const read = (req: http.IncomingMessage, limit: number, done: (r: ReadResult) => void): void => {
  if (declaredTooLarge(req, limit)) {
    drain(req, 0)
    done({ _tag: "TooLarge" })
    return
  }
  const chunks: Array<Buffer> = []
  let size = 0
  let finished = false
  const finish = (r: ReadResult) => {
    if (finished) return
    finished = true
    done(r)
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > limit) {
      chunks.length = 0
      req.off("data", onData)
      drain(req, size)
      finish({ _tag: "TooLarge" })
      return
    }
    chunks.push(chunk)
  }
  req.on("data", onData)
  req.on("end", () => finish({ _tag: "Ok", data: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }))
  req.on("error", () => finish({ _tag: "Error" }))
}

export type Decoded =
  | { readonly _tag: "Value"; readonly value: unknown }
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Invalid"; readonly error: ApiError.ApiError }

const decodeRaw = (contentType: string | undefined, data: Buffer, parseYaml: (text: string) => unknown): Decoded => {
  if (data.length === 0) return { _tag: "Empty" }
  const type = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase()
  if (type === Protobuf.contentType || Protobuf.hasMagic(data)) {
    const decoded = Protobuf.decode(data)
    return decoded._tag === "Right"
      ? { _tag: "Value", value: decoded.right }
      : { _tag: "Invalid", error: ApiError.unsupportedMediaType(["application/json", "application/yaml"]) }
  }
  const text = data.toString("utf8")
  if (type.endsWith("yaml")) {
    try {
      return { _tag: "Value", value: JSON.parse(text) }
    } catch {
      try {
        return { _tag: "Value", value: parseYaml(text) }
      } catch (e) {
        return { _tag: "Invalid", error: ApiError.badRequest(`error converting YAML to JSON: ${(e as Error).message}`) }
      }
    }
  }
  if (type === "application/json" || type.endsWith("+json") || type === "" || type === "*/*") {
    try {
      return { _tag: "Value", value: JSON.parse(text) }
    } catch (e) {
      return { _tag: "Invalid", error: ApiError.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`) }
    }
  }
  return { _tag: "Invalid", error: ApiError.unsupportedMediaType(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]) }
}

/**
 * Kubernetes objects are shallow; a body nested deeper than this is refused up
 * front (400), so no recursive algorithm downstream can run out of stack.
 */
export const MaxDepth = 200

/** Iterative, so it cannot overflow the stack itself. */
const tooDeep = (root: unknown): boolean => {
  const stack: Array<readonly [unknown, number]> = [[root, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== "object" || v === null) continue
    if (depth > MaxDepth) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

export const decode = (contentType: string | undefined, data: Buffer, parseYaml: (text: string) => unknown): Decoded => {
  let d: Decoded
  try {
    d = decodeRaw(contentType, data, parseYaml)
  } catch (e) {
    // e.g. a parser running out of stack on absurd nesting
    return { _tag: "Invalid", error: ApiError.badRequest(`the request body could not be decoded: ${(e as Error).message}`) }
  }
  if (d._tag === "Value" && tooDeep(d.value)) {
    return { _tag: "Invalid", error: ApiError.badRequest(`the request body is nested more than ${MaxDepth} levels deep`) }
  }
  return d
}

export const value = (d: Decoded | undefined): Effect.Effect<unknown, ApiError.ApiError> => {
  if (d === undefined || d._tag === "Empty") return Effect.fail(ApiError.badRequest("the body of the request is empty"))
  if (d._tag === "Invalid") return Effect.fail(d.error)
  return Effect.succeed(d.value)
}

export const object = (d: Decoded | undefined): Effect.Effect<unknown, ApiError.ApiError> =>
  Eager.flatMap(value(d), (v) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Effect.succeed(v)
      : Effect.fail(ApiError.badRequest("the body of the request must be a JSON object")))

const Policies = ["Background", "Foreground", "Orphan"]

/** DeleteOptions from the body (kubectl sends `{"propagationPolicy":...}`) or the query; 400 when undecodable. */
export const deleteOptions = (d: Decoded | undefined, q: URLSearchParams): Effect.Effect<DeleteOptions, ApiError.ApiError> => {
  if (d?._tag === "Invalid") return Effect.fail(d.error)
  if (d?._tag === "Value" && (typeof d.value !== "object" || d.value === null || Array.isArray(d.value))) {
    return Effect.fail(ApiError.badRequest("the DeleteOptions in the request body must be an object"))
  }
  const body = d?._tag === "Value" ? (d.value as Record<string, unknown>) : {}
  const policy = typeof body["propagationPolicy"] === "string" ? body["propagationPolicy"] : q.get("propagationPolicy") ?? undefined
  if (policy !== undefined && !Policies.includes(policy)) {
    return Effect.fail(ApiError.badRequest(
      `propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Background", "Foreground", "Orphan"`
    ))
  }
  const orphan = body["orphanDependents"] === true || q.get("orphanDependents") === "true"
  const pre = body["preconditions"]
  const preconditions = typeof pre === "object" && pre !== null
    ? {
      ...(typeof (pre as Record<string, unknown>)["uid"] === "string" ? { uid: (pre as Record<string, string>)["uid"] } : {}),
      ...(typeof (pre as Record<string, unknown>)["resourceVersion"] === "string"
        ? { resourceVersion: (pre as Record<string, string>)["resourceVersion"] }
        : {})
    }
    : undefined
  const effective = policy ?? (orphan ? "Orphan" : undefined)
  return Effect.succeed({
    ...(effective === undefined ? {} : { propagationPolicy: effective }),
    ...(preconditions === undefined ? {} : { preconditions })
  })
}
