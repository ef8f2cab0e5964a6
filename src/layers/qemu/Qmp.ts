/**
 * A one-shot QMP client: connect to a VM's QMP unix socket, do the capabilities
 * handshake, run commands, close. QEMU serves one QMP client at a time, so holding a
 * connection would lock out the next operation (and a restarted daemon); a short
 * connection per operation costs 3–6 ms. Every step is bounded: a frozen QEMU accepts
 * the connection but never greets (reference/qemu-guest.md 4.5, 4.7).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as net from "node:net"

/**
 * absent: no socket file (QEMU not running). refused: stale socket (QEMU gone).
 * timeout: no answer in time (frozen or overloaded). closed: QEMU closed the connection
 * (it is exiting). command: QEMU answered with an error.
 */
export type QmpFailure = "absent" | "refused" | "timeout" | "closed" | "command"

export class QmpError extends Data.TaggedError("QmpError")<{
  readonly reason: QmpFailure
  readonly message: string
}> {}

export interface QmpCommand {
  readonly execute: string
  readonly arguments?: Readonly<Record<string, unknown>>
}

export const DefaultTimeoutMillis = 2000

/** Runs the commands in order on one connection; returns their `return` values. */
export const run = (
  socketPath: string,
  commands: ReadonlyArray<QmpCommand>,
  timeoutMillis: number = DefaultTimeoutMillis
): Effect.Effect<ReadonlyArray<unknown>, QmpError> =>
  Effect.async<ReadonlyArray<unknown>, QmpError>((resume) => {
    const socket = net.createConnection(socketPath)
    const results: Array<unknown> = []
    let buffer = ""
    let greeted = false
    let negotiated = false
    let done = false
    const close = (): boolean => {
      if (done) return false
      done = true
      clearTimeout(timer)
      socket.removeAllListeners()
      socket.on("error", () => {})
      socket.destroy()
      return true
    }
    const finish = (outcome: Effect.Effect<ReadonlyArray<unknown>, QmpError>) => {
      if (close()) resume(outcome)
    }
    const fail = (reason: QmpFailure, message: string) => finish(Effect.fail(new QmpError({ reason, message })))
    const timer = setTimeout(() => fail("timeout", `QMP on ${socketPath} did not answer within ${timeoutMillis}ms`), timeoutMillis)
    const sendNext = () => {
      const next = commands[results.length]
      if (next === undefined) {
        finish(Effect.succeed(results))
        return
      }
      socket.write(JSON.stringify(next) + "\n")
    }
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") fail("absent", `no QMP socket at ${socketPath}`)
      else if (e.code === "ECONNREFUSED") fail("refused", `QMP socket ${socketPath} refuses connections (QEMU is gone)`)
      else if (e.code === "EAGAIN") fail("timeout", `QMP socket ${socketPath} is not accepting connections (EAGAIN)`)
      else fail("closed", `QMP on ${socketPath}: ${e.message}`)
    })
    socket.on("close", () => fail("closed", `QEMU closed the QMP connection on ${socketPath}`))
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8")
      let nl: number
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim()
        buffer = buffer.slice(nl + 1)
        if (line === "") continue
        let message: Record<string, unknown>
        try {
          message = JSON.parse(line) as Record<string, unknown>
        } catch {
          fail("command", `QMP sent something that is not JSON: ${line.slice(0, 200)}`)
          return
        }
        if ("event" in message) continue
        if (!greeted) {
          if (!("QMP" in message)) continue
          greeted = true
          socket.write(`{"execute":"qmp_capabilities"}\n`)
        } else if (!negotiated) {
          if ("error" in message) {
            fail("command", `QMP capabilities negotiation failed: ${describeError(message["error"])}`)
            return
          }
          negotiated = true
          sendNext()
        } else {
          if ("error" in message) {
            fail("command", describeError(message["error"]))
            return
          }
          results.push(message["return"])
          sendNext()
        }
      }
    })
    return Effect.sync(() => void close())
  })

/** One command; its `return` value. */
export const execute = (
  socketPath: string,
  command: string,
  args?: Readonly<Record<string, unknown>>,
  timeoutMillis?: number
): Effect.Effect<unknown, QmpError> =>
  Effect.map(
    run(socketPath, [args === undefined ? { execute: command } : { execute: command, arguments: args }], timeoutMillis),
    (results) => results[0]
  )

/**
 * Sends a command whose effect may be that QEMU exits (quit, system_powerdown):
 * a connection closed after the command was written counts as success.
 */
export const executeFinal = (
  socketPath: string,
  command: string,
  timeoutMillis?: number
): Effect.Effect<void, QmpError> =>
  execute(socketPath, command, undefined, timeoutMillis).pipe(
    Effect.asVoid,
    Effect.catchIf((e) => e.reason === "closed" && command === "quit", () => Effect.void)
  )

const describeError = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "desc" in error) return String((error as { desc: unknown }).desc)
  return JSON.stringify(error)
}
