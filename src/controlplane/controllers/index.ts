/**
 * Every controller the daemon can run. Selectable controllers (names as in
 * src/domain/ControllerSpec.ts) are added here by their authors, one line each;
 * the builtin ones always run.
 */
import { app } from "./app/index.js"
import { engine } from "./engine/index.js"
import { kubernetes } from "./kubernetes/index.js"
import type { BuiltinController, Controller } from "./Controller.js"
import { garbageCollector } from "./GarbageCollector.js"
import { limavm } from "./limavm/index.js"
import { namespaceController } from "./Namespaces.js"
import { configMapReplicaSet } from "./rdd/ConfigMapReplicaSet.js"
import { notary } from "./rdd/Notary.js"

export const Builtin: ReadonlyArray<BuiltinController> = [namespaceController, garbageCollector]

/** name → controller; a selected name without an entry here is reported and skipped. */
export const Selectable: Readonly<Record<string, Controller>> = {
  app,
  engine,
  kubernetes,
  limavm,
  configmapreplicaset: configMapReplicaSet,
  notary
}
