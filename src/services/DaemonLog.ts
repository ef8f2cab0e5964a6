/**
 * `svc log`: the daemon's current log file, whole, and with `follow` like
 * `tail -F`: new complete lines as they are written, and across a restart (the
 * file is rotated away and a new one appears: detected by inode or shrinking,
 * then read from its start). Following polls the file every 250ms — a file's
 * appearance and growth is the one thing SPEC 1.2 allows polling for.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"

const FollowEvery = Duration.millis(250)
const ReadChunk = 64 * 1024

interface Cursor {
  readonly ino: Option.Option<number>
  readonly offset: number
  /** an incomplete last line, held back until its newline arrives */
  readonly partial: string
}

const decoder = () => new TextDecoder("utf-8")

/** Reads what was appended since `cursor` (from 0 if the file was replaced); prints complete lines. */
const step = (path: string, cursor: Ref.Ref<Option.Option<Cursor>>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path).pipe(Effect.option)
    if (Option.isNone(info)) return
    const size = Number(info.value.size)
    const prev = yield* Ref.get(cursor)
    const replaced = Option.match(prev, {
      onNone: () => true,
      onSome: (c) => !Option.getEquivalence((a: number, b: number) => a === b)(c.ino, info.value.ino) || size < c.offset
    })
    let offset = replaced ? 0 : Option.getOrThrow(prev).offset
    let partial = replaced ? "" : Option.getOrThrow(prev).partial
    if (size > offset) {
      yield* Effect.scoped(Effect.gen(function*() {
        const file = yield* fs.open(path, { flag: "r" })
        yield* file.seek(offset, "start")
        const text = decoder()
        while (offset < size) {
          const chunk = yield* file.readAlloc(Math.min(ReadChunk, size - offset))
          if (Option.isNone(chunk) || chunk.value.length === 0) break
          offset += chunk.value.length
          partial += text.decode(chunk.value, { stream: true })
        }
      })).pipe(Effect.catchAll(() => Effect.void))
      const lines = partial.split("\n")
      partial = lines.pop() ?? ""
      for (const line of lines) yield* Console.log(line)
    }
    yield* Ref.set(cursor, Option.some({ ino: info.value.ino, offset, partial }))
  })

/** Prints the whole file; with `follow`, keeps printing new lines until interrupted. */
export const show = (path: string, follow: boolean): Effect.Effect<void, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    if (!(yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false)))) {
      yield* Effect.logInfo(follow ? `waiting for ${path} to appear...` : `${path} does not exist (the control plane has not been started yet)`)
      if (!follow) return
    }
    const cursor = yield* Ref.make(Option.none<Cursor>())
    if (!follow) {
      yield* step(path, cursor)
      const rest = yield* Ref.get(cursor)
      if (Option.isSome(rest) && rest.value.partial !== "") yield* Console.log(rest.value.partial)
      return
    }
    yield* Effect.repeat(step(path, cursor), Schedule.spaced(FollowEvery))
  })
