/**
 * One writer per cache entry: a semaphore per entry for the fibers of this process, and
 * a lock file (`<entry>/lock`, created O_EXCL, holding "<pid> <start time>") for other
 * processes. Node has no flock, so a lock outlives a killed holder: a lock whose holder
 * is gone (no such pid, or the pid now belongs to a process started at another time) is
 * stale and taken over. The takeover renames the stale file aside and checks it renamed
 * the very file it judged stale, so two processes finding the same stale lock do not
 * both win.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Wait from "../../services/Wait.js"

/** How often a waiting process looks again: another process's download takes seconds to minutes. */
const RetryMillis = 200
/** A lock file still empty after this long was left by a holder that died while creating it. */
const EmptyLockStaleMillis = 10_000

export class EntryLockFailed extends Data.TaggedError("EntryLockFailed")<{ readonly lock: string; readonly message: string }> {}

const semaphores = new Map<string, Effect.Semaphore>()
const semaphoreFor = (dir: string): Effect.Semaphore => {
  let s = semaphores.get(dir)
  if (s === undefined) {
    s = Effect.unsafeMakeSemaphore(1)
    semaphores.set(dir, s)
  }
  return s
}

/**
 * A process's state and kernel start time (fields 3 and 22 of /proc/<pid>/stat): the start
 * time tells a reused pid apart, and a zombie (killed, not yet reaped) holds nothing.
 */
const procStat = (pid: number): { readonly state: string; readonly started: string } | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { state: fields[0] ?? "", started: fields[19] ?? "" }
  } catch {
    return undefined
  }
}

const ownStamp = `${process.pid} ${procStat(process.pid)?.started ?? "?"}`

const holderAlive = (content: string, mtimeMs: number): boolean => {
  const [pidText, started] = content.trim().split(" ")
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - mtimeMs < EmptyLockStaleMillis
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false
  }
  const now = procStat(pid)
  if (now === undefined) return true // no /proc: the pid's existence is all we know
  if (now.state === "Z") return false
  return started === undefined || started === "?" || now.started === started
}

type Attempt = { readonly acquired: true } | { readonly acquired: false; readonly holder: string }

const tryAcquire = (lock: string, takeovers = 0): Attempt => {
  try {
    fs.writeFileSync(lock, `${ownStamp}\n`, { flag: "wx" })
    return { acquired: true }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
  }
  let content: string
  let stat: fs.Stats
  try {
    stat = fs.statSync(lock)
    content = fs.readFileSync(lock, "utf8")
  } catch {
    // released between our two looks
    return takeovers < 3 ? tryAcquire(lock, takeovers + 1) : { acquired: false, holder: "another process" }
  }
  if (holderAlive(content, stat.mtimeMs)) return { acquired: false, holder: `pid ${content.trim().split(" ")[0]}` }
  takeOver(lock, stat.ino)
  return takeovers < 3 ? tryAcquire(lock, takeovers + 1) : { acquired: false, holder: "another process" }
}

const takeOver = (lock: string, staleIno: number) => {
  const aside = `${lock}.stale-${process.pid}-${Date.now()}`
  try {
    fs.renameSync(lock, aside)
  } catch {
    return // someone else took it over first
  }
  if (fs.statSync(aside).ino !== staleIno) {
    // that was a fresh lock made after our look: put it back
    try {
      fs.linkSync(aside, lock)
    } catch {
      // a third process locked meanwhile; the fresh lock's holder keeps writing regardless
    }
  }
  fs.rmSync(aside, { force: true })
}

const release = (lock: string) =>
  Effect.sync(() => {
    try {
      if (fs.readFileSync(lock, "utf8").trim() === ownStamp) fs.rmSync(lock, { force: true })
    } catch {
      // already gone
    }
  })

/**
 * Runs `self` holding the entry's lock (the directory must exist). `onWaiting` is called
 * once if the lock is held elsewhere, with who holds it.
 */
export const withEntryLock = (dir: string, onWaiting?: (holder: string) => void) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | EntryLockFailed, R> => {
  const lock = path.join(dir, "lock")
  let told = false
  const tell = (holder: string) => {
    if (!told && onWaiting !== undefined) onWaiting(holder)
    told = true
  }
  const acquire = Wait.poll(
    Effect.flatMap(
      Effect.try({
        try: () => tryAcquire(lock),
        catch: (e) => new EntryLockFailed({ lock, message: `cannot create ${lock}: ${(e as Error).message}` })
      }),
      (attempt) => {
        if (attempt.acquired) return Effect.succeedSome(undefined)
        tell(attempt.holder)
        return Effect.succeedNone
      }
    ),
    `${RetryMillis} millis`
  )
  const acrossProcesses = Effect.uninterruptibleMask((restore) =>
    Effect.zipRight(restore(acquire), Effect.ensuring(restore(self), release(lock)))
  )
  const semaphore = semaphoreFor(dir)
  return Effect.flatMap(
    semaphore.withPermitsIfAvailable(1)(acrossProcesses),
    Option.match({
      onSome: Effect.succeed,
      onNone: () => Effect.zipRight(Effect.sync(() => tell("another fiber of this process")), semaphore.withPermits(1)(acrossProcesses))
    })
  )
}
