/**
 * The App's container engine in its VM: what the VM template gets for each
 * `containerEngine.name` (a provision script that starts it, the socket forward
 * for moby) and how its readiness is judged (`ContainerEngineReady`). Pure: the
 * engine controller (controlplane/controllers/engine) does the probing and the
 * writing, the App controller renders the template with `withEngine`.
 */
import type { Document } from "yaml"
import { isMap, isSeq } from "yaml"
import type { ContainerEngine } from "../App.js"

/** The engine controller's name in --controllers and the discovery data. */
export const ControllerName = "engine"

/** The engine's API socket in the guest (Debian's docker.io and containerd packages). */
export const GuestSocket: Readonly<Record<ContainerEngine, string>> = {
  moby: "/var/run/docker.sock",
  containerd: "/run/containerd/containerd.sock"
}

/** Marks what `withEngine` added, so a base template that already has it is not given it twice. */
export const ProvisionMarker = "# rdd: the App's container engine"

/**
 * The system provision script (root, every boot): start the chosen engine and stop the
 * other one, installing it from the guest's apt sources only when the image lacks it.
 * A guest with neither the engine nor apt boots anyway (exit 0): the engine then never
 * answers and ContainerEngineReady says so, instead of the VM failing to start.
 */
/** The line that says which engine a rendered template provisions. */
export const provisionHeader = (engine: ContainerEngine): string => `${ProvisionMarker} (${engine})`

export const provisionScript = (engine: ContainerEngine): string => {
  const [pkg, binary, units, other] = engine === "moby"
    ? ["docker.io", "dockerd", "docker.socket docker.service", ""]
    : ["containerd", "containerd", "containerd.service", "docker.socket docker.service"]
  return `#!/bin/sh
${provisionHeader(engine)}
set -eu
if ! command -v ${binary} >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "rdd: this guest has no ${binary} and no apt-get: the container engine cannot run" >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # apparmor: Debian's kernel enables AppArmor, and docker run needs apparmor_parser
  apt-get install -y -qq --no-install-recommends ${pkg} apparmor
fi
${other === "" ? "" : `systemctl disable --now ${other} >/dev/null 2>&1 || true\n`}${
    engine === "moby"
      ? `# the forwarded socket is opened as the guest user: it needs the docker group
if [ -n "\${RDD_USER:-}" ] && getent group docker >/dev/null; then usermod -aG docker "$RDD_USER"; fi
`
      : ""
  }systemctl enable --now ${units}
`
}

/**
 * The template with the engine's parts added: its provision script first (so later
 * scripts of the base can use the engine) and, for moby, the guest's docker socket
 * forwarded to `{{.Param.HOST_DOCKER_SOCKET}}` (the instance's `docker_socket`).
 * containerd's socket is not a Docker API, so nothing is forwarded for it: it is
 * probed over SSH. Mutates `doc` (a freshly parsed document owned by the caller).
 */
export const withEngine = (doc: Document, engine: ContainerEngine): void => {
  const provision = doc.get("provision")
  const scripts = isSeq(provision) ? provision.items : []
  const own = scripts.filter((s) => !(isMap(s) && String(s.get("script") ?? "").includes(ProvisionMarker)))
  doc.set("provision", doc.createNode([{ mode: "system", script: provisionScript(engine) }, ...own]))
  const forwards = doc.get("portForwards")
  const kept = (isSeq(forwards) ? forwards.items : []).filter((f) =>
    !(isMap(f) && (f.get("guestSocket") === GuestSocket.moby || f.get("guestSocket") === GuestSocket.containerd))
  )
  const socket = engine === "moby" ? [{ guestSocket: GuestSocket.moby, hostSocket: "{{.Param.HOST_DOCKER_SOCKET}}" }] : []
  if (kept.length + socket.length > 0) doc.set("portForwards", doc.createNode([...kept, ...socket]))
  else doc.delete("portForwards")
}
