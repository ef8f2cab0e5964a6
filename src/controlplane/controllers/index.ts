/**
 * Every controller the daemon can run. Selectable controllers (names as in
 * src/domain/ControllerSpec.ts) are added here by their authors, one line each;
 * the builtin ones always run. What a controller needs from the outside world (a
 * VM driver) comes in `ControllerServices`, chosen by the daemon's wiring
 * (layers/DaemonLive.ts).
 */
import type * as Layer from "effect/Layer"
import type { VmDriver } from "../../services/VmDriver.js"
import { app } from "./app/index.js"
import { engine } from "./engine/index.js"
import { kubernetes } from "./kubernetes/index.js"
import type { BuiltinController, Controller } from "./Controller.js"
import { garbageCollector } from "./GarbageCollector.js"
import * as LimaVm from "./limavm/index.js"
import { namespaceController } from "./Namespaces.js"
import { configMapReplicaSet } from "./rdd/ConfigMapReplicaSet.js"
import { notary } from "./rdd/Notary.js"

export const Builtin: ReadonlyArray<BuiltinController> = [namespaceController, garbageCollector]

export interface ControllerServices {
  /** the VM driver the limavm controller builds in its scope */
  readonly vmDriver: Layer.Layer<VmDriver>
  /** `process.arch` of the host (the guests' default architecture) */
  readonly nodeArch: string
}

/** name → controller; a selected name without an entry here is reported and skipped. */
export const selectable = (services: ControllerServices): Readonly<Record<string, Controller>> => ({
  app,
  engine,
  kubernetes,
  limavm: LimaVm.make(services.vmDriver, services.nodeArch),
  configmapreplicaset: configMapReplicaSet,
  notary
})
