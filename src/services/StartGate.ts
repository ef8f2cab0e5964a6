/**
 * Serialises the CLI side of starting a daemon: an O_EXCL marker file
 * (`rdd.starting` in the service dir) holding the starter's pid. Whoever creates
 * it rotates the logs, spawns, and holds it until the new daemon owns the
 * instance (its pid file names it) or has exited; others wait for it (bounded by
 * their deadline, and saying so) and then find the daemon running. A marker
 * whose owner is dead, or that is older than a minute, is stale and replaced.
 * Correctness does not rest on this gate: the daemon's own lock guarantees one
 * daemon per instance; the gate only keeps concurrent starts from spawning
 * daemons that exit at once and from rotating each other's fresh log files.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type * as Deadline from "../domain/Deadline.js"
import { Failure, leavingBehind, type WaitTimeout } from "../domain/Errors.js"
import { parsePid, quoted } from "../domain/Instance.js"
import { InstanceDir } from "./InstanceDir.js"
import { isDaemonOf, ProcessManager } from "./ProcessManager.js"
import { type Progress, withProgress } from "./Progress.js"
import { poll, waitFor } from "./Wait.js"

/** The marker's name inside the service dir (removed with it by `svc delete`). */
export const MarkerName = "rdd.starting"
const StaleAfter = Duration.minutes(1)

const selfPid = Effect.sync(() => process.pid)

export interface Gate {
  /** Names the spawned child in the marker, so `svc stop`/`svc delete` can find a daemon still before its lock. */
  readonly record: (childPid: number) => Effect.Effect<void>
  /**
   * Leaves the gate to a daemon this command spawned and will not wait for
   * (`--wait=false`): the marker then names the child too, and stays held while
   * the child lives without owning the instance yet. The holder's release no
   * longer removes it; the next starter finds it stale once the child owns the
   * instance (or died) and replaces it.
   */
  readonly handOver: (childPid: number) => Effect.Effect<void>
}

/** Marker content: `<starter pid> <token> [<child pid>]`. */
const parseMarker = (text: string) => {
  const [owner, , child] = text.trim().split(" ")
  return { owner: Option.fromNullable(parsePid(owner ?? "")), child: Option.fromNullable(parsePid(child ?? "")) }
}

/** How a timed-out wait for the gate is reported: what the command was waiting for, and what it leaves. */
export interface OnTimeout {
  readonly what: string
  /** judged when the timeout comes, from the holder last seen */
  readonly leftBehind: (holder: Option.Option<number>) => Effect.Effect<string, never, InstanceDir | ProcessManager>
}

/**
 * Holds the gate for the rest of the enclosing scope. Waits (polling the marker,
 * a file, every 100ms) while another live rdd holds it.
 */
export const hold = (
  deadline: Deadline.Deadline,
  onTimeout?: OnTimeout
): Effect.Effect<Gate, Failure | WaitTimeout, InstanceDir | ProcessManager | FileSystem.FileSystem | Progress | Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    const fs = yield* FileSystem.FileSystem
    const marker = `${dir.paths.dir}/${MarkerName}`
    const me = yield* selfPid
    // pid plus a token: only the holder's own release removes the marker, even between fibers of one process
    let token = `${me} ${Math.random().toString(36).slice(2)}`
    const announced = yield* Ref.make(false)
    const lastHolder = yield* Ref.make(Option.none<number>())
    const handedOver = yield* Ref.make(false)
    const isHeld = (text: string) =>
      Effect.gen(function*() {
        const { child, owner } = parseMarker(text)
        if (Option.isSome(owner) && (yield* pm.isAlive(owner.value))) return Option.some(owner.value)
        if (Option.isNone(child) || !(yield* pm.isAlive(child.value))) return Option.none()
        return Option.contains(yield* dir.readPid, child.value) ? Option.none() : Option.some(child.value)
      })
    // The marker appears atomically with its content (written to a temp file, then hard-linked:
    // link fails if the marker exists), so a reader never sees an empty marker and calls it stale.
    const temp = `${marker}.${Math.random().toString(36).slice(2)}.tmp`
    const create = Effect.acquireUseRelease(
      fs.writeFileString(temp, token, { mode: 0o600 }),
      () => fs.link(temp, marker),
      () => fs.remove(temp).pipe(Effect.ignore)
    )
    const tryOnce: Effect.Effect<Option.Option<void>, Failure> = create.pipe(
      Effect.as(Option.some<void>(undefined)),
      Effect.catchAll((e) => {
        if (e._tag !== "SystemError" || e.reason !== "AlreadyExists") {
          return Effect.fail(new Failure({ message: `cannot create ${marker}: ${e.message}`, cause: e }))
        }
        return Effect.gen(function*() {
          const content = yield* dir.readFile(marker)
          if (Option.isNone(content)) return Option.none() // released just now: try again
          const holder = yield* isHeld(content.value)
          const mtime = yield* fs.stat(marker).pipe(Effect.map((i) => Option.getOrElse(i.mtime, () => new Date(0)).getTime()), Effect.orElseSucceed(() => 0))
          const now = yield* Clock.currentTimeMillis
          if (Option.isNone(holder) || now - mtime > Duration.toMillis(StaleAfter)) {
            // remove only what was judged stale (another waiter may have replaced it meanwhile)
            if (Option.contains(yield* dir.readFile(marker), content.value)) yield* fs.remove(marker).pipe(Effect.ignore)
            return Option.none()
          }
          yield* Ref.set(lastHolder, holder)
          if (!(yield* Ref.getAndSet(announced, true))) {
            yield* Effect.logInfo(`waiting for another rdd process (pid ${holder.value}) that is starting the ${quoted(dir.instance)} control plane`)
          }
          return Option.none()
        })
      })
    )
    yield* dir.ensureDir(dir.paths.dir, 0o700)
    yield* Effect.acquireRelease(
      // acquisition is uninterruptible by default: the wait must stay interruptible, or its own
      // deadline (Effect.timeout interrupts it) could never end it
      Effect.interruptible(
        waitFor(
          onTimeout?.what ?? `another rdd command to finish starting the ${quoted(dir.instance)} control plane`,
          deadline,
          withProgress("another rdd process to finish starting it", deadline)(poll(tryOnce))
        )
      ).pipe(
        Effect.catchTag("WaitTimeout", (e) =>
          onTimeout === undefined ? Effect.fail(e) : Effect.flatMap(Ref.get(lastHolder), (h) =>
            Effect.flatMap(onTimeout.leftBehind(h), (left) => Effect.fail(leavingBehind(left)(e)))))
      ),
      () =>
        Effect.gen(function*() {
          if (yield* Ref.get(handedOver)) return
          if (Option.contains(yield* dir.readFile(marker), token)) yield* fs.remove(marker).pipe(Effect.ignore)
        })
    )
    const record = (childPid: number) =>
      Effect.gen(function*() {
        token = `${token.split(" ").slice(0, 2).join(" ")} ${childPid}`
        // atomically (temp + rename): a plain write truncates first, and a waiter that read the
        // empty marker in between judged it stale, removed it and spawned a second daemon
        yield* dir.writeFileAtomic(marker, token, 0o600).pipe(Effect.ignore)
      })
    return {
      record,
      handOver: (childPid: number) => Effect.zipRight(record(childPid), Ref.set(handedOver, true))
    }
  })

/**
 * The daemon a start in flight has spawned and that does not own the instance
 * yet (no pid file names it): the child named in the marker, if it is alive and
 * really an rdd daemon of this instance. Stop and delete signal it like a
 * running daemon, so a starting control plane can always be stopped.
 */
export const findStarting: Effect.Effect<Option.Option<number>, never, InstanceDir | ProcessManager> = Effect.gen(function*() {
  const dir = yield* InstanceDir
  const pm = yield* ProcessManager
  const content = yield* dir.readFile(`${dir.paths.dir}/${MarkerName}`)
  const child = Option.flatMap(content, (c) => parseMarker(c).child)
  if (Option.isNone(child)) return Option.none()
  const identity = yield* pm.identity(child.value)
  return Option.isSome(identity) && isDaemonOf(identity.value, dir.instance.suffix) ? child : Option.none()
})
