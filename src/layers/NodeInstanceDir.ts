/**
 * InstanceDir on the real file system. Writes are atomic (temp file in the same
 * directory, fsync, rename) so a concurrent reader never sees a partial file.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { Failure } from "../domain/Errors.js"
import * as Instance from "../domain/Instance.js"
import * as RunRecord from "../domain/RunRecord.js"
import { InstanceDir, type InstanceDirShape } from "../services/InstanceDir.js"
import * as NodeBuiltins from "./NodeBuiltins.js"

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * Writes `file` whole or not at all (temp file, fsync, rename). `exclusive`: only if
 * it does not exist yet (the temp file is hard-linked into place, which fails when
 * the name is taken); returns false then and changes nothing.
 */
export const writeFileAtomicSync = (file: string, content: string, mode: number, options: { readonly exclusive?: boolean } = {}): boolean => {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const tmp = `${file}.${process.pid}.${NodeBuiltins.crypto().randomBytes(4).toString("hex")}.tmp`
  const fd = fs.openSync(tmp, "wx", mode)
  try {
    fs.writeSync(fd, content)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  try {
    fs.chmodSync(tmp, mode) // the umask may have narrowed or widened the create mode
    if (options.exclusive !== true) {
      fs.renameSync(tmp, file)
      return true
    }
    try {
      fs.linkSync(tmp, file)
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false
      throw e
    } finally {
      fs.rmSync(tmp, { force: true })
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  }
}

export const make = (instance: Instance.Instance, env: Instance.PathEnv): InstanceDirShape => {
  const paths = Instance.paths(instance, env)
  const readFile = (file: string) =>
    Effect.sync(() => {
      try {
        return Option.some(fs.readFileSync(file, "utf8"))
      } catch {
        return Option.none<string>()
      }
    })
  const writeFileAtomic = (file: string, content: string, mode: number) =>
    Effect.try({
      try: () => void writeFileAtomicSync(file, content, mode),
      catch: (e) => new Failure({ message: `cannot write ${file}: ${errorText(e)}`, cause: e })
    })
  const ensureDir = (dir: string, mode: number) =>
    Effect.try({
      try: () => {
        fs.mkdirSync(dir, { recursive: true, mode })
        fs.chmodSync(dir, mode)
      },
      catch: (e) => new Failure({ message: `cannot create ${dir}: ${errorText(e)}`, cause: e })
    })
  return {
    instance,
    paths,
    isCreated: Effect.sync(() => fs.existsSync(paths.args_file)),
    readArgs: Effect.flatMap(readFile(paths.args_file), Option.match({
      onNone: () => Effect.succeed(Option.none()),
      onSome: (text) => {
        try {
          const parsed: unknown = JSON.parse(text)
          if (Array.isArray(parsed) && parsed.every((a) => typeof a === "string")) {
            return Effect.succeed(Option.some(parsed as ReadonlyArray<string>))
          }
        } catch {
          // fall through: a corrupt args.json is reported, never silently treated as empty
        }
        return Effect.fail(new Failure({
          message: `${paths.args_file} is corrupt (expected a JSON array of strings); run "rdd svc delete" to reset the instance`
        }))
      }
    })),
    writeArgs: (args) =>
      Effect.zipRight(
        ensureDir(paths.dir, 0o700),
        Effect.try({
          try: () => writeFileAtomicSync(paths.args_file, JSON.stringify(args, null, 2), 0o600, { exclusive: true }),
          catch: (e) => new Failure({ message: `cannot write ${paths.args_file}: ${errorText(e)}`, cause: e })
        })
      ),
    readPid: Effect.map(readFile(paths.pid_file), Option.flatMap((t) => Option.fromNullable(Instance.parsePid(t)))),
    readRunRecord: Effect.map(readFile(paths.run_file), Option.flatMap((t) => Option.getRight(RunRecord.decode(t)))),
    readFile,
    writeFileAtomic,
    exists: (file) => Effect.sync(() => fs.existsSync(file)),
    removeFile: (file) => Effect.sync(() => fs.rmSync(file, { force: true })),
    removeDir: (key) => {
      const refused = Instance.refuseRemoval(instance, key, paths[key])
      if (refused !== undefined) return Effect.fail(new Failure({ message: refused }))
      return Effect.try({
        try: () => fs.rmSync(paths[key], { recursive: true, force: true }),
        catch: (e) => new Failure({ message: `cannot remove ${paths[key]}: ${errorText(e)}`, cause: e })
      })
    },
    ensureDir
  }
}

export const layer = (instance: Instance.Instance, env: Instance.PathEnv) =>
  Layer.succeed(InstanceDir, make(instance, env))
