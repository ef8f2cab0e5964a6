/**
 * Bodies over the 3 MiB limit (SPEC 3.1): the client always reads the 413.
 *
 * A server that answers 413 and closes at once, while the client is still
 * sending, makes TCP reset the connection, and the client sees EPIPE or
 * ECONNRESET instead of the answer (the flake CI caught in the fuzz suite). The
 * daemon drains the rest of the body instead, so a plain client (Go's, which
 * kubectl uses, sends no "Expect") that writes everything before reading gets
 * its Status and can reuse the connection; a client that asks "100-continue" is
 * refused before it sends the body at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as https from "node:https"
import { type Daemon, startDaemon } from "./Api.js"

let d: Daemon
beforeAll(async () => {
  d = await startDaemon("sec-body")
}, 90_000)
afterAll(async () => {
  await d?.stop()
}, 60_000)

const MiB = 1024 * 1024
const cms = "/api/v1/namespaces/default/configmaps"
const huge = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "huge" }, data: { a: "x".repeat(4 * MiB) } })

interface Answer {
  readonly status: number
  readonly body: string
  readonly continued: boolean
  /** the server's Connection header: "keep-alive" unless it meant to close */
  readonly connection: string | undefined
}

/** Writes the whole body first (no Expect unless asked), then reads the answer; any socket error rejects. */
const send = (agent: https.Agent, o: { method: string; body?: string; chunked?: boolean; expect?: boolean }): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${d.kubeconfig.adminToken}`, "Content-Type": "application/json" }
    if (o.body !== undefined && o.chunked !== true) headers["Content-Length"] = String(Buffer.byteLength(o.body))
    if (o.expect === true) headers["Expect"] = "100-continue"
    let continued = false
    const req = https.request(
      { host: "127.0.0.1", port: d.kubeconfig.port, path: cms, method: o.method, ca: d.kubeconfig.ca, servername: "localhost", agent, headers },
      (res) => {
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => (body += c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, continued, connection: res.headers.connection }))
        res.on("error", reject)
      }
    )
    req.on("error", reject)
    req.setTimeout(30_000, () => req.destroy(new Error("no answer within 30s")))
    if (o.expect === true) {
      req.on("continue", () => {
        continued = true
        req.end(o.body)
      })
      req.flushHeaders()
    } else {
      req.end(o.body)
    }
  })

const isTooLarge = (a: Answer) => {
  expect(a.status).toBe(413)
  expect(JSON.parse(a.body)).toMatchObject({ kind: "Status", status: "Failure", reason: "RequestEntityTooLarge", code: 413 })
}

/** Runs `f` with its own HTTPS agent, destroyed afterwards. */
const withAgent = async <A>(options: https.AgentOptions, f: (agent: https.Agent) => Promise<A>): Promise<A> => {
  const agent = new https.Agent(options)
  try {
    return await f(agent)
  } finally {
    agent.destroy()
  }
}

describe("a body over the limit", () => {
  it("written whole before reading, with a Content-Length or chunked: the 413 arrives every time and the connection stays usable", () =>
    withAgent({ keepAlive: true, maxSockets: 1 }, async (agent) => {
      for (let i = 0; i < 6; i++) {
        const a = await send(agent, { method: "POST", body: huge, chunked: i % 2 === 1 })
        isTooLarge(a)
        // the daemon keeps the connection: it drained the body, so no reset can eat the answer
        expect(a.connection).toBe("keep-alive")
      }
      expect((await send(agent, { method: "GET" })).status).toBe(200)
    }), 120_000)

  it("announced with \"Expect: 100-continue\": refused before the body is sent", () =>
    withAgent({ keepAlive: false }, async (agent) => {
      const a = await send(agent, { method: "POST", body: huge, expect: true })
      isTooLarge(a)
      expect(a.continued).toBe(false)
    }), 60_000)

  it("a body under the limit with \"Expect: 100-continue\" is told to continue and is stored", () =>
    withAgent({ keepAlive: false }, async (agent) => {
      const body = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "expect-ok" }, data: { a: "x".repeat(MiB) } })
      const a = await send(agent, { method: "POST", body, expect: true })
      expect(a.continued).toBe(true)
      expect(a.status).toBe(201)
    }), 60_000)
})
