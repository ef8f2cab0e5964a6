/**
 * The daemon's wiring (`rdd svc serve`): reads its configuration once
 * (DaemonConfig.ts) and chooses the implementations the control plane runs
 * with — today the VM driver. Loaded through a dynamic import by the CLI's
 * wiring (CliLive.ts), so none of the server, SQLite, TLS or QEMU code is parsed
 * by any other command.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Daemon from "../controlplane/serve.js"
import { InstanceDir } from "../services/InstanceDir.js"
import type { ServeOptions } from "../services/Serve.js"
import type { VmDriver } from "../services/VmDriver.js"
import * as DaemonConfig from "./DaemonConfig.js"
import * as LimactlDriver from "./LimactlDriver.js"
import * as NodeProcessManager from "./NodeProcessManager.js"
import * as QemuDriver from "./QemuDriver.js"

/**
 * The driver RDD_VM_DRIVER names: `qemu` (real QEMU, the default) or `lima`. `lima`
 * needs a working `limactl` (RDD_LIMACTL or PATH); without one the daemon falls
 * back to qemu and says so rather than failing every VM later. Built only when
 * the limavm controller runs, in its scope.
 */
export const vmDriver = (config: DaemonConfig.DaemonConfig, limaHome: string): Layer.Layer<VmDriver> => {
  const qemu = QemuDriver.layer({
    limaHome,
    home: config.home,
    accelOverride: config.qemuAccel,
    cacheDir: config.cacheDir,
    // images are shared by every instance; RDD_CACHE_DIR moves them (Lima's LIMA_CACHE_HOME)
    ...(config.imageCacheDir === undefined ? {} : { imageCacheDir: config.imageCacheDir })
  })
  const qemuSaying = (warning: string) => Layer.unwrapEffect(Effect.as(Effect.logWarning(warning), qemu))
  const chosen = config.vmDriver === "lima"
    ? Layer.unwrapEffect(Effect.map(LimactlDriver.available(config.limactl), (ok) =>
      ok
        ? LimactlDriver.layer({ limaHome, limactl: config.limactl })
        : qemuSaying(`RDD_VM_DRIVER=lima but ${JSON.stringify(config.limactl)} cannot be run; using the qemu driver`)))
    : config.vmDriver === "qemu"
    ? qemu
    : qemuSaying(`unknown RDD_VM_DRIVER ${JSON.stringify(config.vmDriver)} (expected qemu or lima); using the qemu driver`)
  return chosen.pipe(Layer.provide(NodeProcessManager.layer))
}

export const serve = (options: ServeOptions) =>
  Effect.flatMap(InstanceDir, (dir) =>
    Daemon.serve(options, { vmDriver: vmDriver(DaemonConfig.read(), dir.paths.lima_home), nodeArch: process.arch }))
