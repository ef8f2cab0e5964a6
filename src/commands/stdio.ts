/**
 * rdd's own stdin, stdout and stderr as plain text, for commands that speak
 * another tool's protocol (`rdd yq` reads stdin and prints yq's `Error: ...`
 * lines itself, outside rdd's log format).
 */
import * as Effect from "effect/Effect"

export const readStdin: Effect.Effect<string> = Effect.async<string>((resume) => {
  const chunks: Array<Buffer> = []
  const onData = (c: Buffer) => chunks.push(c)
  const onEnd = () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
  process.stdin.on("data", onData)
  process.stdin.once("end", onEnd)
  process.stdin.once("error", onEnd)
  return Effect.sync(() => {
    process.stdin.off("data", onData)
    process.stdin.off("end", onEnd)
    process.stdin.pause()
  })
})

const write = (stream: NodeJS.WriteStream, text: string) =>
  Effect.async<void>((resume) => {
    stream.write(text, () => resume(Effect.void))
  })

export const writeStdout = (text: string): Effect.Effect<void> => write(process.stdout, text)
export const writeStderr = (text: string): Effect.Effect<void> => write(process.stderr, text)
