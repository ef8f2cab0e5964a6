/**
 * A one-shot QMP client for tests that drive bare QEMU: connect, greeting,
 * qmp_capabilities, one command, close (reference/qemu-guest.md, "Driver: status").
 */
import * as net from "node:net"

export const qmp = (socketPath: string, execute: string, args?: Record<string, unknown>, timeoutMs = 5_000): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const s = net.createConnection(socketPath)
    let buf = ""
    let step = 0
    const fail = (e: Error) => {
      clearTimeout(timer)
      s.destroy()
      reject(e)
    }
    const timer = setTimeout(() => fail(new Error(`QMP ${execute}: no answer within ${timeoutMs} ms`)), timeoutMs)
    s.on("error", fail)
    s.on("close", () => fail(new Error(`QMP ${execute}: connection closed`)))
    s.on("data", (d) => {
      buf += d.toString()
      let i: number
      while ((i = buf.indexOf("\n")) >= 0) {
        const m = JSON.parse(buf.slice(0, i)) as Record<string, unknown>
        buf = buf.slice(i + 1)
        if ("event" in m) continue
        if (step === 0 && "QMP" in m) {
          step = 1
          s.write(`{"execute":"qmp_capabilities"}\n`)
        } else if (step === 1 && "return" in m) {
          step = 2
          s.write(JSON.stringify({ execute, ...(args === undefined ? {} : { arguments: args }) }) + "\n")
        } else if (step === 2) {
          clearTimeout(timer)
          s.removeAllListeners("close")
          s.end()
          const err = m["error"] as { desc?: string } | undefined
          if (err !== undefined) reject(new Error(`QMP ${execute}: ${err.desc ?? "error"}`))
          else resolve(m["return"])
        }
      }
    })
  })
