/**
 * Body.read's limits on a stand-in request stream: the rest of an oversized body
 * is drained (so the client can read its 413), but only up to DrainLimit.
 */
import { describe, expect, it } from "@effect/vitest"
import type * as http from "node:http"
import { PassThrough } from "node:stream"
import * as Body from "../../src/controlplane/apiserver/Body.js"

const fakeRequest = (headers: Record<string, string> = {}) => {
  const stream = new PassThrough()
  const socket = { destroyed: false, destroy: () => void (socket.destroyed = true) }
  return { req: Object.assign(stream, { headers, socket }) as unknown as http.IncomingMessage & PassThrough, socket }
}

const read = (req: http.IncomingMessage, limit: number) => {
  const results: Array<Body.ReadResult> = []
  Body.read(req, limit, (r) => results.push(r))
  return results
}

const tick = () => new Promise((r) => setImmediate(r))

describe("Body.read", () => {
  it("a body within the limit is read whole", async () => {
    const { req } = fakeRequest()
    const results = read(req, 10)
    req.end(Buffer.from("0123456789"))
    await tick()
    expect(results).toEqual([{ _tag: "Ok", data: Buffer.from("0123456789") }])
  })

  it("over the limit: TooLarge once, the rest drained without cutting the connection", async () => {
    const { req, socket } = fakeRequest()
    const results = read(req, 10)
    for (let i = 0; i < 100; i++) req.write(Buffer.alloc(1024))
    req.end()
    await tick()
    expect(results).toEqual([{ _tag: "TooLarge" }])
    expect(socket.destroyed).toBe(false)
    expect(req.readableEnded).toBe(true)
  })

  it("an announced Content-Length over the limit is TooLarge before any byte, and drained", async () => {
    const { req, socket } = fakeRequest({ "content-length": "11" })
    const results = read(req, 10)
    expect(results).toEqual([{ _tag: "TooLarge" }])
    req.end(Buffer.alloc(11))
    await tick()
    expect(socket.destroyed).toBe(false)
    expect(req.readableEnded).toBe(true)
  })

  it("draining stops at DrainLimit: the connection is cut", async () => {
    const { req, socket } = fakeRequest()
    const results = read(req, 10)
    const chunk = Buffer.alloc(1024 * 1024)
    for (let sent = 0; sent <= Body.DrainLimit && !socket.destroyed; sent += chunk.length) {
      req.write(chunk)
      await tick()
    }
    expect(results).toEqual([{ _tag: "TooLarge" }])
    expect(socket.destroyed).toBe(true)
  })

  it("declaredTooLarge: only an announced length over the limit", () => {
    expect(Body.declaredTooLarge(fakeRequest({ "content-length": "11" }).req, 10)).toBe(true)
    expect(Body.declaredTooLarge(fakeRequest({ "content-length": "10" }).req, 10)).toBe(false)
    expect(Body.declaredTooLarge(fakeRequest().req, 10)).toBe(false)
  })
})
