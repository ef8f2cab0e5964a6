/**
 * What the App controller needs from the host it runs on: the base Lima
 * template of the app's VM (the file the App's own annotation names, read at
 * every pass so an edited file takes effect; else the built-in default — never
 * the daemon's environment, which depends on whichever shell autostarted it),
 * the values of the template's `param:` block, and a free host port for k3s
 * (7441 + index preferred, as the Go tool).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { readFile } from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as App from "../../../domain/App.js"
import * as VmTemplate from "../../../domain/app/VmTemplate.js"
import * as Instance from "../../../domain/Instance.js"
import type { DaemonInfo } from "../Controller.js"

export class TemplateUnavailable extends Data.TaggedError("TemplateUnavailable")<{ readonly message: string }> {}

export interface AppHost {
  /** the base template text the settings are applied to: the file `configured` names, else the built-in one */
  readonly baseTemplate: (configured: string | undefined) => Effect.Effect<string, TemplateUnavailable>
  readonly params: (kubernetesPort: number) => VmTemplate.HostParams
  /** a free loopback port, 7441 + index when that one is free */
  readonly pickKubernetesPort: Effect.Effect<number>
}

const listenOn = (port: number): Effect.Effect<number, Error> =>
  Effect.async<number, Error>((resume) => {
    const server = net.createServer()
    server.once("error", (e) => resume(Effect.fail(e)))
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      const address = server.address()
      const bound = typeof address === "object" && address !== null ? address.port : port
      server.close(() => resume(Effect.succeed(bound)))
    })
  })

/**
 * `preferred` when it can be bound on 127.0.0.1 now, else a port the OS picks (any
 * free one), as the Go tool and Rancher Desktop do; `preferred` again only when
 * nothing can be bound at all (the VM's forward then reports the conflict).
 */
export const pickPort = (preferred: number): Effect.Effect<number> =>
  listenOn(preferred).pipe(Effect.orElse(() => listenOn(0)), Effect.orElseSucceed(() => preferred))

/** The host end of the engine's socket forward: the instance's `docker_socket` (`rdd svc paths docker_socket`). */
export const dockerSocket = (daemon: DaemonInfo): string => path.join(daemon.paths.short_dir, "docker.sock")

export const make = (daemon: DaemonInfo): AppHost => {
  const suffix = daemon.instance.replace(/^rancher-desktop-/, "")
  const preferred = 7441 + Instance.indexOf(suffix)
  return {
    baseTemplate: (configured) =>
      configured === undefined || configured === ""
        ? Effect.succeed(VmTemplate.defaultBase)
        : Effect.tryPromise({
          try: () => readFile(path.resolve(configured), "utf8"),
          catch: (e) =>
            new TemplateUnavailable({
              message: `cannot read the app's VM template ${JSON.stringify(configured)} (annotation ${App.TemplateAnnotation}): ${String(e)}`
            })
        }),
    params: (kubernetesPort) => ({
      dockerSocket: dockerSocket(daemon),
      homeInGuest: os.homedir(),
      instanceConfigDir: daemon.paths.dir,
      kubernetesPort,
      arch: process.arch === "arm64" ? "aarch64" : "x86_64"
    }),
    // picked once and kept in status.kubernetesPort: the kube context's server names it
    pickKubernetesPort: pickPort(preferred)
  }
}
