/**
 * Kubernetes (k3s) in the App's VM, as the VM template gets it: where the k3s
 * binary of the App's `kubernetes.version` comes from (a release URL and the
 * sha256 it must have), the system provision script that installs and starts
 * it (or records why it could not, in a status file the kubernetes controller
 * reads over SSH), and the forward of the guest's API port 6443 to the host
 * port the App controller picked (`status.kubernetesPort`). Pure: the App
 * controller renders the template with `withKubernetes`; the kubernetes
 * controller (controlplane/controllers/kubernetes) reads what the guest did.
 */
import type { Document } from "yaml"
import { isMap, isSeq } from "yaml"
import type { ContainerEngine } from "../App.js"
import * as Engine from "./Engine.js"
import { normalise } from "./K3sVersions.js"

/** The kubernetes controller's name in --controllers and the discovery data. */
export const ControllerName = "kubernetes"

/** Where k3s writes its kubeconfig in the guest (its server is https://127.0.0.1:6443). */
export const GuestKubeconfig = "/etc/rancher/k3s/k3s.yaml"
/** The k3s API port in the guest, forwarded to the App's `status.kubernetesPort`. */
export const GuestApiPort = 6443
/** The provision script's verdict, one line: `installing V`, `started V` or `failed: WHY`. */
export const GuestStatusFile = "/var/lib/rdd/k3s/status"

/** Marks what `withKubernetes` added, so a re-render replaces it instead of adding it twice. */
export const ProvisionMarker = "# rdd: the App's Kubernetes (k3s)"

/** The k3s release tag of a bare version: `1.34.6` → `v1.34.6+k3s1` (the build the Go tool installs). */
export const releaseTag = (version: string): string => `v${normalise(version)}+k3s1`

export type Arch = "x86_64" | "aarch64"

const assetName = (arch: Arch): string => (arch === "x86_64" ? "k3s" : "k3s-arm64")

/**
 * sha256 of the release binaries, by tag and arch, copied from each release's
 * `sha256sum-<arch>.txt`. Empty: these machines cannot reach github.com, so no
 * digest could be checked here, and none is written down unchecked. Without a
 * pinned digest the provision script takes the digest from the same release's
 * checksum file (the download is then only as trustworthy as that file), and
 * says so in its status line.
 */
export const PinnedDigests: Readonly<Record<string, Partial<Record<Arch, string>>>> = {}

export interface Artifact {
  readonly url: string
  /** lowercase hex; "" = take it from the release's checksum file */
  readonly sha256: string
  /** the release's checksum file, used when no digest is pinned */
  readonly checksums: string
  readonly tag: string
}

export const artifact = (version: string, arch: Arch): Artifact => {
  const tag = releaseTag(version)
  const base = `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(tag)}`
  return {
    url: `${base}/${assetName(arch)}`,
    sha256: PinnedDigests[tag]?.[arch] ?? "",
    checksums: `${base}/sha256sum-${arch === "x86_64" ? "amd64" : "arm64"}.txt`,
    tag
  }
}

/** The params a base template may set itself to take k3s from elsewhere (a mirror for air-gapped hosts, a test server). */
export const SourceParams = ["K3S_URL", "K3S_SHA256"] as const

/** The k3s flag that makes it use the App's engine instead of its own containerd. */
export const runtimeFlag = (engine: ContainerEngine): string =>
  engine === "moby" ? "--docker" : `--container-runtime-endpoint unix://${Engine.GuestSocket.containerd}`

/**
 * The system provision script (root, every boot while Kubernetes is enabled). Every way it can fail ends in
 * `failed: ...` in the status file and exit 0: the VM still boots (the engine may be
 * all the user wants), and the controller turns the line into KubernetesReady=False.
 * The download is bounded (connect 10 s, whole transfer 5 min, two retries), so a host
 * without network fails within seconds instead of holding the boot.
 */
export const provisionScript = (engine: ContainerEngine): string =>
  `#!/bin/sh
${ProvisionMarker}
set -u
state=/var/lib/rdd/k3s
mkdir -p "$state" /etc/rancher/k3s /usr/local/bin
say() { printf '%s\\n' "$*" >"$state/status.tmp" && mv "$state/status.tmp" "$state/status"; }
fail() { say "failed: $*"; echo "rdd: k3s: $*" >&2; exit 0; }
tag="$PARAM_K3S_TAG"
fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --connect-timeout 10 --max-time 300 --retry 2 -o "$2" "$1" 2>"$state/download.err"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 10 -O "$2" "$1" 2>"$state/download.err"
  else
    echo "neither curl nor wget in the guest" >"$state/download.err"; return 127
  fi
}
why() { tr '\\n' ' ' <"$state/download.err" | cut -c1-300; }
want="$tag \${PARAM_K3S_SHA256:-}"
if [ ! -x /usr/local/bin/k3s ] || [ "$(cat "$state/installed" 2>/dev/null)" != "$want" ]; then
  say "installing $tag"
  sha="\${PARAM_K3S_SHA256:-}"
  if [ -z "$sha" ]; then
    fetch "$PARAM_K3S_CHECKSUMS" "$state/sha256sum.txt" || fail "download of $PARAM_K3S_CHECKSUMS failed (exit $?): $(why)"
    sha=$(awk -v f="\${PARAM_K3S_URL##*/}" '$2 == f { print $1 }' "$state/sha256sum.txt")
    [ -n "$sha" ] || fail "$PARAM_K3S_CHECKSUMS lists no \${PARAM_K3S_URL##*/}"
  fi
  rm -f "$state/k3s.download"
  fetch "$PARAM_K3S_URL" "$state/k3s.download" || fail "download of $PARAM_K3S_URL failed (exit $?): $(why)"
  got=$(sha256sum "$state/k3s.download" | cut -d' ' -f1)
  [ "$got" = "$sha" ] || fail "$PARAM_K3S_URL has sha256 $got, expected $sha"
  chmod 0755 "$state/k3s.download" && mv "$state/k3s.download" /usr/local/bin/k3s || fail "cannot install /usr/local/bin/k3s"
  echo "$want" >"$state/installed"
fi
args="server --https-listen-port ${GuestApiPort} --write-kubeconfig-mode 0644 ${runtimeFlag(engine)}"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  printf '[Unit]\\nDescription=k3s (rdd)\\nAfter=network-online.target ${engine === "moby" ? "docker.service" : "containerd.service"}\\n[Service]\\nExecStart=/usr/local/bin/k3s %s\\nRestart=always\\n' "$args" >/etc/systemd/system/k3s.service
  # started, not enabled: a boot whose template no longer asks for Kubernetes runs no k3s
  systemctl daemon-reload && systemctl restart k3s || fail "systemctl could not start k3s"
else
  # a guest without systemd (the tiny test guest): k3s in its own session
  setsid /usr/local/bin/k3s $args >/var/log/k3s.log 2>&1 </dev/null &
fi
say "started $tag"
`

/**
 * The template with Kubernetes's parts when it is enabled: the provision script (after the
 * engine's, which k3s runs on) and the guest's port 6443 forwarded to 127.0.0.1:`port`
 * (replacing any rule the base has for 6443). Disabled, the template has neither, so the
 * next boot starts no k3s (the unit is never enabled). Mutates `doc`.
 */
export const withKubernetes = (doc: Document, engine: ContainerEngine, enabled: boolean, port: number): void => {
  if (!enabled) return
  const provision = doc.get("provision")
  const scripts = isSeq(provision) ? provision.items : []
  const own = scripts.filter((s) => !(isMap(s) && String(s.get("script") ?? "").includes(ProvisionMarker)))
  const engineAt = own.findIndex((s) => isMap(s) && String(s.get("script") ?? "").includes(Engine.ProvisionMarker))
  const script = doc.createNode({ mode: "system", script: provisionScript(engine) })
  const items = [...own.slice(0, engineAt + 1), script, ...own.slice(engineAt + 1)]
  doc.set("provision", doc.createNode(items))
  const forwards = doc.get("portForwards")
  const kept = (isSeq(forwards) ? forwards.items : []).filter((f) => !(isMap(f) && Number(f.get("guestPort")) === GuestApiPort))
  doc.set("portForwards", doc.createNode([{ guestPort: GuestApiPort, hostIP: "127.0.0.1", hostPort: port }, ...kept]))
}
