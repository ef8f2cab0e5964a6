/**
 * What the App controller needs from the host it runs on: the base Lima
 * template of the app's VM (the file named by RDD_APP_TEMPLATE, read at every
 * pass so an edited file takes effect; else the built-in default), the values
 * of the template's `param:` block, and a free host port for k3s (7441 + index
 * preferred, as the Go tool). Tests point RDD_APP_TEMPLATE at the tiny QEMU
 * guest of `npm run -s test-image`; the daemon inherits it from the CLI that
 * autostarts it.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { readFile } from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as VmTemplate from "../../../domain/app/VmTemplate.js"
import * as Instance from "../../../domain/Instance.js"
import type { DaemonInfo } from "../Controller.js"

export const TemplateEnv = "RDD_APP_TEMPLATE"

export class TemplateUnavailable extends Data.TaggedError("TemplateUnavailable")<{ readonly message: string }> {}

export interface AppHost {
  /** the base template text the settings are applied to */
  readonly baseTemplate: Effect.Effect<string, TemplateUnavailable>
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

export const make = (daemon: DaemonInfo, env: NodeJS.ProcessEnv = process.env): AppHost => {
  const suffix = daemon.instance.replace(/^rancher-desktop-/, "")
  const preferred = 7441 + Instance.indexOf(suffix)
  const configured = env[TemplateEnv]
  return {
    baseTemplate: configured === undefined || configured === ""
      ? Effect.succeed(VmTemplate.defaultBase)
      : Effect.tryPromise({
        try: () => readFile(path.resolve(configured), "utf8"),
        catch: (e) =>
          new TemplateUnavailable({ message: `cannot read the app's VM template ${JSON.stringify(configured)} (${TemplateEnv}): ${String(e)}` })
      }),
    params: (kubernetesPort) => ({
      dockerSocket: path.join(daemon.paths.short_dir, "docker.sock"),
      homeInGuest: os.homedir(),
      instanceConfigDir: daemon.paths.dir,
      kubernetesPort
    }),
    // The port is only recorded for now (no k3s runs in the VM): a later bind may still find it taken.
    pickKubernetesPort: listenOn(preferred).pipe(Effect.orElse(() => listenOn(0)), Effect.orElseSucceed(() => preferred))
  }
}
