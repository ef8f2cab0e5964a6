/**
 * Rotation of the daemon's log files at each start (SPEC 1.5): `rdd.stderr.log`
 * becomes `rdd.stderr.<n>.log` with n one above the highest existing backup, and
 * only the 5 newest backups are kept unless RDD_KEEP_LOGS is set. The plan is
 * pure (and property-tested); `rotate` applies it with the platform FileSystem.
 * Callers hold the start gate, so two starts never rotate under each other.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Failure } from "../domain/Errors.js"

export const KeepBackups = 5

export interface Plan {
  /** rename `<stem>.log` to this backup name (absent when there is no current log) */
  readonly backup: Option.Option<string>
  /** backups to delete */
  readonly remove: ReadonlyArray<string>
}

/** The rotation of one stream (`stem` = "rdd.stderr"), given the names in the log dir. */
export const plan = (stem: string, names: ReadonlyArray<string>, keepAll: boolean): Plan => {
  const pattern = new RegExp(`^${stem.replace(/\./g, "\\.")}\\.([0-9]+)\\.log$`)
  const numbers = names.flatMap((n) => {
    const m = pattern.exec(n)
    return m === null ? [] : [Number(m[1])]
  })
  const hasCurrent = names.includes(`${stem}.log`)
  const max = numbers.reduce((a, b) => Math.max(a, b), 0)
  const next = max + 1
  const newest = hasCurrent ? next : max
  const remove = keepAll ? [] : numbers.filter((n) => n <= newest - KeepBackups).sort((a, b) => a - b).map((n) => `${stem}.${n}.log`)
  return { backup: hasCurrent ? Option.some(`${stem}.${next}.log`) : Option.none(), remove }
}

/** RDD_KEEP_LOGS set to anything non-empty. */
export const keepLogs: Effect.Effect<boolean> = Config.string("RDD_KEEP_LOGS").pipe(
  Config.option,
  Effect.map(Option.exists((v) => v !== "")),
  Effect.orElseSucceed(() => false)
)

const fail = (what: string) => (e: { readonly message: string }) => new Failure({ message: `${what}: ${e.message}`, cause: e })

/** Creates the log dir (0700) and rotates both streams' files in it. */
export const rotate = (logDir: string): Effect.Effect<void, Failure, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(logDir, { recursive: true, mode: 0o700 }).pipe(Effect.mapError(fail(`cannot create ${logDir}`)))
    yield* fs.chmod(logDir, 0o700).pipe(Effect.ignore)
    const keepAll = yield* keepLogs
    const names = yield* fs.readDirectory(logDir).pipe(Effect.mapError(fail(`cannot read ${logDir}`)))
    for (const stem of ["rdd.stdout", "rdd.stderr"]) {
      const p = plan(stem, names, keepAll)
      if (Option.isSome(p.backup)) {
        yield* fs.rename(`${logDir}/${stem}.log`, `${logDir}/${p.backup.value}`).pipe(
          Effect.mapError(fail(`cannot rotate ${logDir}/${stem}.log`))
        )
      }
      for (const name of p.remove) yield* fs.remove(`${logDir}/${name}`).pipe(Effect.ignore)
    }
  })
