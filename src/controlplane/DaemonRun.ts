/**
 * This run of the daemon, the first layer serve.ts builds: the instance lock
 * (one daemon per instance), then the run record and the pid file, which the CLI
 * reads to learn which run it talks to. Released last: the pid file, the run
 * record and the kubeconfig are removed, then the lock is let go, so a `svc
 * start` that sees no pid file can take the lock at once.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import { Failure } from "../domain/Errors.js"
import * as Instance from "../domain/Instance.js"
import * as RunRecord from "../domain/RunRecord.js"
import { writeFileAtomicSync } from "../layers/NodeInstanceDir.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { Daemon } from "./controllers/Controller.js"
import * as Lock from "./Lock.js"

export interface RunShape {
  /** the --controllers spec this run was started with */
  readonly controllers: string
  /** the port asked for (--secure-port, else the instance's default) */
  readonly desiredPort: number
  readonly startId: string
  /** ISO time of the start, as in the run record */
  readonly startedAt: string
  /** adds the port the API server listens on to the run record */
  readonly recordPort: (port: number) => Effect.Effect<void, Failure>
}

export class Run extends Context.Tag("rdd/controlplane/Run")<Run, RunShape>() {}

export interface Options {
  readonly controllers: string
  readonly securePort: number | undefined
}

const fail = (message: string, cause?: unknown) => new Failure({ message, ...(cause === undefined ? {} : { cause }) })

export const layer = (o: Options): Layer.Layer<Run | Daemon, Failure, InstanceDir> =>
  Layer.scopedContext(Effect.gen(function*() {
    const dir = yield* InstanceDir
    const paths = dir.paths
    const name = Instance.quoted(dir.instance)

    yield* dir.ensureDir(paths.dir, 0o700)
    yield* Lock.acquire(paths.lock_file).pipe(Effect.catchAll((e) =>
      e instanceof Lock.LockHeld
        ? Effect.zipRight(Effect.logError(`${name} control plane is already running`), Effect.fail(fail(`${name} control plane is already running`)))
        : Effect.fail(fail(e.message, e))
    ))
    yield* Effect.logInfo(`starting ${name} control plane (pid ${process.pid})`)

    const startId = randomUUID()
    const desiredPort = o.securePort ?? dir.instance.defaultPort
    const startedAt = new Date().toISOString()
    const record = (port?: number) =>
      RunRecord.encode({
        pid: process.pid,
        startId,
        controllers: o.controllers,
        desiredPort,
        ...(port === undefined ? {} : { port }),
        startedAt
      })
    yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          writeFileAtomicSync(paths.run_file, record(), 0o600)
          writeFileAtomicSync(paths.pid_file, String(process.pid), 0o600)
        },
        catch: (e) => fail(`cannot write the pid file: ${(e as Error).message}`, e)
      }),
      () =>
        Effect.sync(() => {
          for (const f of [paths.config, paths.pid_file, paths.run_file]) fs.rmSync(f, { force: true })
        })
    )
    const run: RunShape = {
      controllers: o.controllers,
      desiredPort,
      startId,
      startedAt,
      recordPort: (port) =>
        Effect.try({
          try: () => writeFileAtomicSync(paths.run_file, record(port), 0o600),
          catch: (e) => fail(`cannot write the run record: ${(e as Error).message}`, e)
        })
    }
    return Context.make(Run, run).pipe(Context.add(Daemon, { instance: dir.instance.name, startId, paths }))
  }))
