/**
 * The daemon's configuration from its environment, read once when the daemon's
 * wiring (DaemonLive.ts) is built: nothing under src/controlplane reads the
 * environment itself, so what a daemon runs with is decided here and logged once.
 */
import * as os from "node:os"

export interface DaemonConfig {
  /** RDD_VM_DRIVER: `qemu` (default) or `lima`; anything else is reported and qemu is used */
  readonly vmDriver: string
  /** RDD_LIMACTL, else `limactl` on PATH */
  readonly limactl: string
  /** RDD_QEMU_ACCEL: force kvm/hvf/tcg instead of probing */
  readonly qemuAccel: string | undefined
  /** `$XDG_CACHE_HOME/rdd`, else `~/.cache/rdd`: the KVM verdict and, by default, the image cache */
  readonly cacheDir: string
  /** RDD_CACHE_DIR: the shared image cache elsewhere (Lima's LIMA_CACHE_HOME) */
  readonly imageCacheDir: string | undefined
  readonly home: string
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === "" ? undefined : v)

export const read = (env: Readonly<Record<string, string | undefined>> = process.env): DaemonConfig => {
  const home = os.homedir()
  return {
    vmDriver: env["RDD_VM_DRIVER"] ?? "qemu",
    limactl: nonEmpty(env["RDD_LIMACTL"]) ?? "limactl",
    qemuAccel: env["RDD_QEMU_ACCEL"],
    cacheDir: `${nonEmpty(env["XDG_CACHE_HOME"]) ?? `${home}/.cache`}/rdd`,
    imageCacheDir: nonEmpty(env["RDD_CACHE_DIR"]),
    home
  }
}
