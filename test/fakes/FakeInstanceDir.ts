/**
 * InstanceDir and the platform FileSystem over the World's in-memory files, so
 * tests can assert exactly which files a lifecycle command kept or removed.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { SystemError } from "@effect/platform/Error"
import { Effect, Layer, Option } from "effect"
import * as RunRecord from "../../src/domain/RunRecord.js"
import { Failure } from "../../src/domain/Errors.js"
import * as Instance from "../../src/domain/Instance.js"
import { InstanceDir } from "../../src/services/InstanceDir.js"
import type { World } from "./World.js"

const under = (dir: string, path: string) => path === dir || path.startsWith(`${dir}/`)
const parentOf = (path: string) => path.slice(0, path.lastIndexOf("/"))

/** Files the code under test removed through InstanceDir (the fake daemon removes its own directly). */
const removedByService = new WeakMap<World, Set<string>>()
export const removedThroughService = (w: World): ReadonlySet<string> => removedByService.get(w) ?? new Set()
const noteRemoved = (w: World, path: string) => {
  const set = removedByService.get(w) ?? new Set<string>()
  set.add(path)
  removedByService.set(w, set)
}

export const instanceDir = (w: World) =>
  Layer.succeed(InstanceDir, {
    instance: w.instance,
    paths: w.paths,
    isCreated: Effect.sync(() => w.files.has(w.paths.args_file)),
    readArgs: Effect.suspend(() => {
      const t = w.files.get(w.paths.args_file)
      if (t === undefined) return Effect.succeed(Option.none())
      try {
        return Effect.succeed(Option.some(JSON.parse(t) as ReadonlyArray<string>))
      } catch {
        return Effect.fail(new Failure({ message: "corrupt args.json" }))
      }
    }),
    writeArgs: (args) =>
      Effect.sync(() => {
        if (w.files.has(w.paths.args_file)) return false
        w.dirs.add(w.paths.dir)
        w.files.set(w.paths.args_file, JSON.stringify(args))
        return true
      }),
    readPid: Effect.sync(() => Option.fromNullable(Instance.parsePid(w.files.get(w.paths.pid_file) ?? ""))),
    readRunRecord: Effect.sync(() =>
      Option.flatMap(Option.fromNullable(w.files.get(w.paths.run_file)), (t) => Option.getRight(RunRecord.decode(t)))),
    readFile: (path) => Effect.sync(() => Option.fromNullable(w.files.get(path))),
    writeFileAtomic: (path, content) => Effect.sync(() => void w.files.set(path, content)),
    exists: (path) => Effect.sync(() => w.files.has(path) || w.dirs.has(path)),
    removeFile: (path) =>
      Effect.sync(() => {
        if (w.files.delete(path)) noteRemoved(w, path)
      }),
    removeDir: (key) =>
      Effect.suspend(() => {
        const root = w.paths[key]
        const refused = Instance.refuseRemoval(w.instance, key, root)
        if (refused !== undefined) return Effect.fail(new Failure({ message: refused }))
        for (const f of [...w.files.keys()]) {
          if (under(root, f)) {
            w.files.delete(f)
            noteRemoved(w, f)
          }
        }
        for (const d of [...w.dirs]) if (under(root, d)) w.dirs.delete(d)
        return Effect.void
      }),
    ensureDir: (path) => Effect.sync(() => void w.dirs.add(path))
  })

const notFound = (method: string, path: string) =>
  new SystemError({ reason: "NotFound", module: "FileSystem", method, pathOrDescriptor: path })

export const fileSystem = (w: World) =>
  FileSystem.layerNoop({
    makeDirectory: (path) => Effect.sync(() => void w.dirs.add(path)),
    chmod: () => Effect.void,
    exists: (path) => Effect.sync(() => w.files.has(path) || w.dirs.has(path)),
    readDirectory: (path) =>
      Effect.sync(() => [...w.files.keys()].filter((f) => parentOf(f) === path).map((f) => f.slice(path.length + 1))),
    rename: (from, to) =>
      Effect.suspend(() => {
        const content = w.files.get(from)
        if (content === undefined) return Effect.fail(notFound("rename", from))
        w.files.delete(from)
        w.files.set(to, content)
        return Effect.void
      }),
    remove: (path) =>
      Effect.sync(() => {
        for (const f of [...w.files.keys()]) if (under(path, f)) w.files.delete(f)
        for (const d of [...w.dirs]) if (under(path, d)) w.dirs.delete(d)
      }),
    link: (from, to) =>
      Effect.suspend(() => {
        const content = w.files.get(from)
        if (content === undefined) return Effect.fail(notFound("link", from))
        if (w.files.has(to)) {
          return Effect.fail(new SystemError({ reason: "AlreadyExists", module: "FileSystem", method: "link", pathOrDescriptor: to }))
        }
        w.files.set(to, content)
        return Effect.void
      }),
    readFileString: (path) =>
      Effect.suspend(() => {
        const t = w.files.get(path)
        return t === undefined ? Effect.fail(notFound("readFileString", path)) : Effect.succeed(t)
      }),
    writeFileString: (path, data, options) =>
      Effect.suspend(() => {
        if (options?.flag === "wx" && w.files.has(path)) {
          return Effect.fail(new SystemError({ reason: "AlreadyExists", module: "FileSystem", method: "writeFileString", pathOrDescriptor: path }))
        }
        w.files.set(path, data)
        return Effect.void
      }),
    stat: (path) =>
      Effect.suspend(() =>
        w.files.has(path)
          ? Effect.succeed({
            type: "File" as const, mtime: Option.some(new Date()), atime: Option.none(), birthtime: Option.none(), dev: 0,
            ino: Option.none(), mode: 0o600, nlink: Option.none(), uid: Option.none(), gid: Option.none(), rdev: Option.none(),
            size: FileSystem.Size(w.files.get(path)!.length), blksize: Option.none(), blocks: Option.none()
          })
          : Effect.fail(notFound("stat", path)))
  })

export const layer = (w: World) => Layer.merge(instanceDir(w), fileSystem(w))
