/**
 * The Lima template of the App's VM, rendered from a base template and the App's
 * settings: `cpus` and `memory` when the App sets them, the `qemu` driver when
 * the base names none, the container engine's provision script and socket forward
 * (Engine.withEngine), and a `param:` block with the values the Go tool passed
 * to its provisioning scripts. The rendering is deterministic, so the App
 * controller can compare texts and rewrite the template only when a setting
 * really changed (a rewrite restarts a running VM).
 */
import { parseDocument } from "yaml"
import type { AppSpec } from "../App.js"
import * as Engine from "./Engine.js"
import * as K3s from "./K3s.js"

export interface HostParams {
  /** `svc paths docker_socket` */
  readonly dockerSocket: string
  /** the user's home as the guest sees it */
  readonly homeInGuest: string
  /** the instance's service dir */
  readonly instanceConfigDir: string
  /** host port picked for k3s (0 when Kubernetes is disabled) */
  readonly kubernetesPort: number
  readonly guestLogDir?: string
  readonly vmSwitchLog?: string
  readonly networkSetupExtraArgs?: string
  /** the VM's architecture, which picks the k3s binary (default x86_64) */
  readonly arch?: K3s.Arch
}

export const params = (spec: AppSpec, host: HostParams): Readonly<Record<string, string>> => ({
  CONTAINER_ENGINE: spec.containerEngine,
  HOST_DOCKER_SOCKET: host.dockerSocket,
  HOST_HOME_GUEST: host.homeInGuest,
  HOST_INSTANCE_CONFIG: host.instanceConfigDir,
  VM_SWITCH_LOG: host.vmSwitchLog ?? "",
  NETWORK_SETUP_EXTRA_ARGS: host.networkSetupExtraArgs ?? "",
  GUEST_LOG_DIR: host.guestLogDir ?? "",
  KUBERNETES_ENABLED: String(spec.kubernetesEnabled),
  KUBERNETES_VERSION: spec.kubernetesVersion,
  KUBERNETES_PORT: String(host.kubernetesPort),
  ...k3sParams(spec, host)
})

/** Where the provision script takes k3s from (K3s.artifact); only when Kubernetes is enabled. */
const k3sParams = (spec: AppSpec, host: HostParams): Readonly<Record<string, string>> => {
  if (!spec.kubernetesEnabled) return {}
  const a = K3s.artifact(spec.kubernetesVersion, host.arch ?? "x86_64")
  return { K3S_TAG: a.tag, K3S_URL: a.url, K3S_SHA256: a.sha256, K3S_CHECKSUMS: a.checksums }
}

/** K3S_URL and K3S_SHA256 as the base template sets them (a mirror, a test server): they win over the release's. */
const baseSource = (doc: ReturnType<typeof parseDocument>): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  for (const k of K3s.SourceParams) {
    const v: unknown = doc.getIn(["param", k])
    if (typeof v === "string" && v !== "") out[k] = v
  }
  return out
}

/**
 * Renders the VM template. Left: the base template is not a YAML mapping (the
 * message names the problem; the App controller reports it in `Settled`).
 */
export const render = (base: string, spec: AppSpec, host: HostParams): { readonly text: string } | { readonly error: string } => {
  const doc = parseDocument(base, { prettyErrors: false })
  if (doc.errors.length > 0) return { error: `the app's VM template is not valid YAML: ${doc.errors[0]?.message ?? ""}` }
  const root: unknown = doc.toJS()
  if (typeof root !== "object" || root === null || Array.isArray(root)) {
    return { error: "the app's VM template must be a YAML mapping" }
  }
  if (!doc.has("vmType")) doc.set("vmType", "qemu")
  if (spec.cpus !== undefined) doc.set("cpus", spec.cpus)
  if (spec.memoryInGB !== undefined) doc.set("memory", `${spec.memoryInGB}GiB`)
  const own = params(spec, host)
  doc.set("param", doc.createNode(spec.kubernetesEnabled ? { ...own, ...baseSource(doc) } : own))
  Engine.withEngine(doc, spec.containerEngine)
  K3s.withKubernetes(doc, spec.containerEngine, spec.kubernetesEnabled, host.kubernetesPort)
  return { text: doc.toString({ lineWidth: 0 }) }
}

/**
 * Used when the App names no template (annotation app.rancherdesktop.io/vm-template):
 * a real Lima template on a digest-pinned Debian 12 cloud image (the image Lima's own
 * debian-12 template pins), shaped like the Go tool's App template: the Kubernetes API port
 * forwarded, the home directory mounted; `render` adds the engine as for any base.
 * It needs the image's host and Debian's mirror; without them the create fails fast with the download error (CreateFailed), which `rdd set` shows.
 */
export const defaultBase = `# The rdd app VM (default template; RDD_APP_TEMPLATE when the App is created, or the App's
# annotation app.rancherdesktop.io/vm-template, names a Lima template file to use instead).
vmType: qemu
cpus: 2
memory: 4GiB
disk: 100GiB
images:
- location: "https://cloud.debian.org/images/cloud/bookworm/20250519-2117/debian-12-genericcloud-amd64-20250519-2117.qcow2"
  arch: x86_64
  digest: "sha512:ee35c87b8a0c67eb67a169beec3bef5d6868957c1d31374797ef37072650c5067094c50ca293d7b926a967d07515abf1845f515084e3a192c7c69df75e84c95a"
- location: "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-arm64.qcow2"
  arch: aarch64
ssh:
  loadDotSSHPubKeys: false
mounts:
- location: "~"
  writable: true
portForwards:
- guestPort: 6443
  hostIP: 127.0.0.1
  hostPort: 6443
`
