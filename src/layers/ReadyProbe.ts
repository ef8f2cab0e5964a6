/**
 * The client's side of the readiness socket (domain/ReadySignal.ts). Plain, no
 * Effect: the bin's `rdd ctl` path (src/plain/ctl.ts) asks it before any of
 * Effect is loaded.
 */
import * as net from "node:net"
import * as ReadySignal from "../domain/ReadySignal.js"

/**
 * What the daemon's readiness socket answers right now; undefined when there is no
 * socket, it refuses (its daemon is gone), or no whole answer came within `withinMs`
 * (a frozen or overloaded daemon: the caller takes its full path).
 */
export const ask = (file: string, withinMs: number): Promise<ReadySignal.Answer | undefined> =>
  new Promise((resolve) => {
    if (!ReadySignal.usable(file)) return resolve(undefined)
    let output = ""
    const socket = net.connect(file)
    const done = (answer: ReadySignal.Answer | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(answer)
    }
    const timer = setTimeout(() => done(undefined), withinMs)
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      output += chunk
      if (output.length > 512) done(undefined)
    })
    socket.on("end", () => done(ReadySignal.parse(output)))
    socket.on("error", () => done(undefined))
  })
