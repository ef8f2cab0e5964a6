/**
 * Writing a LimaVM's seed as the `cidata` ISO 9660 image (Joliet + Rock Ridge) that
 * cloud-init's NoCloud datasource and the tiny guest look for. The image is made by
 * Debian's well-kept tools (genisoimage, else xorriso's mkisofs mode, else mkisofs) from
 * the files staged in a temporary directory next to the target, then renamed into place,
 * so a crash or an interrupt never leaves a half-written seed where QEMU would boot it.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { exec, lastLines } from "./Exec.js"

export class SeedError extends Data.TaggedError("SeedError")<{
  readonly message: string
}> {}

export interface SeedIsoFile {
  readonly path: string
  readonly content: string | Uint8Array
  readonly mode?: number | undefined
}

/** An ISO tool: the binary and the arguments that put it in mkisofs mode. */
export interface IsoTool {
  readonly binary: string
  readonly prefix: ReadonlyArray<string>
}

export const DefaultTools: ReadonlyArray<IsoTool> = [
  { binary: "genisoimage", prefix: [] },
  { binary: "xorriso", prefix: ["-as", "mkisofs"] },
  { binary: "mkisofs", prefix: [] }
]

const ToolTimeoutMillis = 60_000

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** A seed path must stay inside the staging directory. */
const checkRelative = (p: string): boolean =>
  p !== "" && !path.isAbsolute(p) && !p.split("/").some((part) => part === ".." || part === "." || part === "")

const stage = (dir: string, files: ReadonlyArray<SeedIsoFile>): void => {
  for (const f of files) {
    const target = path.join(dir, f.path)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, f.content)
    // explicit chmod: the process umask must not decide what Rock Ridge records
    fs.chmodSync(target, f.mode ?? 0o644)
  }
}

/** Runs the first tool that exists; a missing tool moves on to the next one. */
const build = (tools: ReadonlyArray<IsoTool>, output: string, dir: string): Effect.Effect<void, SeedError> =>
  Effect.gen(function*() {
    for (const tool of tools) {
      const args = [...tool.prefix, "-quiet", "-output", output, "-volid", "cidata", "-joliet", "-rock", dir]
      const result = yield* exec(tool.binary, args, { timeoutMillis: ToolTimeoutMillis }).pipe(
        Effect.catchTag("ExecFailure", (e) =>
          e.reason === "missing" ? Effect.succeed(undefined) : Effect.fail(new SeedError({ message: `making the seed ISO: ${e.message}` })))
      )
      if (result === undefined) continue
      if (result.exitCode !== 0) {
        return yield* Effect.fail(new SeedError({
          message: `${tool.binary} failed to make the seed ISO (exit ${result.exitCode ?? "by signal"}): ${lastLines(result.stderr) || "no output"}`
        }))
      }
      return
    }
    return yield* Effect.fail(new SeedError({
      message: `no ISO 9660 tool found (tried ${tools.map((t) => t.binary).join(", ")}): install the Debian package genisoimage or xorriso`
    }))
  })

/** Writes `files` as the cidata ISO at `isoPath` (mode 0600), atomically. */
export const writeSeedIso = (
  isoPath: string,
  files: ReadonlyArray<SeedIsoFile>,
  tools: ReadonlyArray<IsoTool> = DefaultTools
): Effect.Effect<void, SeedError> => {
  const bad = files.find((f) => !checkRelative(f.path))
  if (bad !== undefined) return Effect.fail(new SeedError({ message: `seed file path ${JSON.stringify(bad.path)} is not a relative path inside the seed` }))
  const parent = path.dirname(isoPath)
  const tmp = `${isoPath}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
  return Effect.acquireUseRelease(
    Effect.try({
      try: () => {
        fs.mkdirSync(parent, { recursive: true })
        return fs.mkdtempSync(path.join(parent, ".cidata-"))
      },
      catch: (e) => new SeedError({ message: `cannot stage the seed next to ${isoPath}: ${errorText(e)}` })
    }),
    (dir) =>
      Effect.gen(function*() {
        yield* Effect.try({
          try: () => stage(dir, files),
          catch: (e) => new SeedError({ message: `cannot stage the seed files: ${errorText(e)}` })
        })
        yield* build(tools, tmp, dir)
        yield* Effect.try({
          try: () => {
            fs.chmodSync(tmp, 0o600)
            fs.renameSync(tmp, isoPath)
          },
          catch: (e) => new SeedError({ message: `cannot put the seed ISO in place at ${isoPath}: ${errorText(e)}` })
        })
      }),
    (dir) =>
      Effect.sync(() => {
        fs.rmSync(dir, { recursive: true, force: true })
        fs.rmSync(tmp, { force: true })
      })
  )
}
