/**
 * The start gate's marker is never seen empty (or half written) by a waiter: a
 * waiter that read it empty judged it stale, removed it, took the gate and
 * spawned a second daemon (found by 10 concurrent `svc start`, about 1 run in 6).
 * Real files and real processes: NodeInstanceDir, NodeFileSystem, NodeProcessManager.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { readFileSync } from "node:fs"
import * as Deadline from "../../src/domain/Deadline.js"
import * as Instance from "../../src/domain/Instance.js"
import * as NodeInstanceDir from "../../src/layers/NodeInstanceDir.js"
import * as NodeProcessManager from "../../src/layers/NodeProcessManager.js"
import { InstanceDir } from "../../src/services/InstanceDir.js"
import * as Progress from "../../src/services/Progress.js"
import * as StartGate from "../../src/services/StartGate.js"
import { tempHome } from "../support/rdd.js"

const layerFor = (home: string) =>
  Layer.mergeAll(
    NodeInstanceDir.layer(Either.getOrThrow(Instance.make("gate")), { home, platform: "linux" }),
    NodeProcessManager.layer,
    NodeFileSystem.layer,
    Progress.disabled
  )

describe("StartGate", () => {
  it.live("while the holder names its child again and again, every read of the marker names a live holder", () => {
    const t = tempHome("rdd-gate-")
    return Effect.gen(function*() {
      const dir = yield* InstanceDir
      const marker = `${dir.paths.dir}/${StartGate.MarkerName}`
      const deadline = yield* Deadline.start(Duration.seconds(30))
      const gate = yield* StartGate.hold(deadline)
      const reads: Array<string> = []
      const reader = yield* Effect.fork(Effect.forever(Effect.zipRight(
        Effect.sync(() => reads.push(readFileSync(marker, "utf8"))),
        Effect.sleep(Duration.micros(50n))
      )))
      for (let i = 0; i < 300; i++) yield* gate.record(process.pid)
      yield* Fiber.interrupt(reader)
      expect(reads.length).toBeGreaterThan(0)
      expect(reads.filter((r) => !new RegExp(`^${process.pid} \\w+ ${process.pid}$`).test(r.trim()) && !new RegExp(`^${process.pid} \\w+$`).test(r.trim()))).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(layerFor(t.home)), Effect.ensuring(Effect.sync(t.cleanup)))
  })
})
