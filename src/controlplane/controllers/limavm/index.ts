/**
 * The `limavm` controller as the daemon's framework sees it (Controller.ts):
 * the LimaVM CRD, the admission plugins, the scoped run (watch + per-VM
 * workers) and the shutdown hook that stops every VM in parallel inside the
 * drain cap. The admission plugins and the shutdown hook need what `run`
 * builds (the in-process client, the driver), so `make` shares one holder
 * between them; one daemon process runs one instance of it.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as os from "node:os"
import { crd } from "../../../domain/limavm/Crd.js"
import { Denied } from "../../apiserver/Admission.js"
import type { AdmissionPlugin } from "../../apiserver/Admission.js"
import { KubeClient, type KubeClientShape } from "../../../services/KubeClient.js"
import type { VmDriverShape } from "../../../services/VmDriver.js"
import * as LimactlDriver from "../../../layers/LimactlDriver.js"
import * as NodeProcessManager from "../../../layers/NodeProcessManager.js"
import * as QemuDriver from "../../../layers/QemuDriver.js"
import { Daemon, type Controller } from "../Controller.js"
import * as Admission from "./Admission.js"
import * as LimaVmController from "./Controller.js"

const cacheDir = (): string => {
  const xdg = process.env["XDG_CACHE_HOME"]
  return `${xdg !== undefined && xdg !== "" ? xdg : `${os.homedir()}/.cache`}/rdd`
}

/**
 * The driver the daemon uses: `RDD_VM_DRIVER=qemu|lima` chooses; by default real QEMU.
 * `lima` needs a working `limactl` (RDD_LIMACTL or PATH); without one the daemon
 * falls back to qemu and says so rather than failing every VM later.
 */
const makeDriver = (limaHome: string): Effect.Effect<VmDriverShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const wanted = process.env["RDD_VM_DRIVER"] ?? "qemu"
    if (wanted === "lima") {
      const limactl = LimactlDriver.limactlBinary()
      if (yield* LimactlDriver.available(limactl)) return yield* LimactlDriver.make({ limaHome, limactl })
      yield* Effect.logWarning(`RDD_VM_DRIVER=lima but ${JSON.stringify(limactl)} cannot be run; using the qemu driver`)
    } else if (wanted !== "qemu") {
      yield* Effect.logWarning(`unknown RDD_VM_DRIVER ${JSON.stringify(wanted)} (expected qemu or lima); using the qemu driver`)
    }
    const imageCache = process.env["RDD_CACHE_DIR"]
    return yield* QemuDriver.make({
      limaHome,
      home: os.homedir(),
      accelOverride: process.env["RDD_QEMU_ACCEL"],
      cacheDir: cacheDir(),
      // images are shared by every instance; RDD_CACHE_DIR moves them (Lima's LIMA_CACHE_HOME)
      ...(imageCache === undefined || imageCache === "" ? {} : { imageCacheDir: imageCache })
    })
  }).pipe(Effect.provide(NodeProcessManager.layer))

export const make = (): Controller => {
  const hostArch = LimaVmController.hostArchOf(process.arch)
  let running: { readonly kube: KubeClientShape; readonly limaHome: string; readonly drain: Effect.Effect<void> } | undefined

  // Admission runs inside the API server, which only serves LimaVMs once `run` has started.
  const withDeps = (plugin: (deps: Admission.AdmissionDeps) => AdmissionPlugin): AdmissionPlugin => {
    const resolve = (): AdmissionPlugin | undefined =>
      running === undefined ? undefined : plugin({ kube: running.kube, hostArch, limaHome: running.limaHome })
    const shape = plugin({ kube: undefined as unknown as KubeClientShape, hostArch })
    const notReady = Effect.fail(new Denied({ reason: "the limavm controller is not running yet; retry", code: 403 }))
    return {
      ...shape,
      ...(shape.mutate === undefined ? {} : {
        mutate: (req) => Effect.suspend(() => resolve()?.mutate?.(req) ?? notReady)
      }),
      ...(shape.validate === undefined ? {} : {
        validate: (req) => Effect.suspend(() => resolve()?.validate?.(req) ?? notReady)
      })
    }
  }

  return {
    name: "limavm",
    crds: [crd],
    admission: [withDeps(Admission.defaulter), withDeps(Admission.validator), withDeps(Admission.configMapValidator)],
    onShutdown: Effect.suspend(() => (running === undefined ? Effect.void : running.drain)),
    run: Effect.gen(function*() {
      const kube = yield* KubeClient
      const daemon = yield* Daemon
      const driver = yield* makeDriver(daemon.paths.lima_home)
      const controller = yield* LimaVmController.start({ kube, driver, hostArch })
      running = { kube, limaHome: daemon.paths.lima_home, drain: controller.drain }
      yield* Effect.addFinalizer(() => Effect.sync(() => (running = undefined)))
      yield* Effect.logInfo(`limavm controller running (driver ${driver.kind}, lima home ${daemon.paths.lima_home})`)
    })
  }
}

export const limavm: Controller = make()
