/** All fake layers of one World, plus disabled progress: what a lifecycle program needs. */
import { Layer, Logger } from "effect"
import { disabled } from "../../src/services/Progress.js"
import * as FakeInstanceDir from "./FakeInstanceDir.js"
import * as FakeKubeClient from "./FakeKubeClient.js"
import * as FakeProcessManager from "./FakeProcessManager.js"
import type { World } from "./World.js"

export * from "./World.js"

export const layers = (w: World) =>
  Layer.mergeAll(FakeInstanceDir.layer(w), FakeProcessManager.layer(w), FakeKubeClient.layer(w), disabled)

/** A logger that records each message (and nothing else), for exact-message assertions. */
export const captureLogs = (into: Array<string>) =>
  Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => {
    const parts = Array.isArray(message) ? message : [message]
    into.push(parts.map(String).join(" "))
  }))
