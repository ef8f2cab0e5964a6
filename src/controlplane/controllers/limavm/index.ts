/**
 * The `limavm` controller as the daemon's framework sees it (Controller.ts):
 * the LimaVM CRD, the admission plugins, the scoped run (watch + per-VM
 * workers) and the shutdown hook that stops every VM in parallel inside the
 * drain cap. The VM driver is a layer the daemon's wiring chose
 * (layers/DaemonLive.ts, from its configuration); it is built in the
 * controller's scope, so a daemon that does not run this controller never
 * builds one.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { crd } from "../../../domain/limavm/Crd.js"
import { VmDriver } from "../../../services/VmDriver.js"
import { KubeClient } from "../../../services/KubeClient.js"
import { Daemon, type Controller } from "../Controller.js"
import * as Admission from "./Admission.js"
import * as LimaVmController from "./Controller.js"

export const make = (driverLayer: Layer.Layer<VmDriver>, nodeArch: string): Controller => {
  const hostArch = LimaVmController.hostArchOf(nodeArch)
  return {
    name: "limavm",
    crds: [crd],
    admission: ({ kube, daemon }) =>
      [Admission.defaulter, Admission.validator, Admission.configMapValidator].map((plugin) =>
        plugin({ kube, hostArch, limaHome: daemon.paths.lima_home })),
    run: Effect.gen(function*() {
      const kube = yield* KubeClient
      const daemon = yield* Daemon
      const driver = Context.get(yield* Layer.build(driverLayer), VmDriver)
      const controller = yield* LimaVmController.start({ kube, driver, hostArch })
      yield* Effect.logInfo(`limavm controller running (driver ${driver.kind}, lima home ${daemon.paths.lima_home})`)
      return { onShutdown: controller.drain }
    })
  }
}
