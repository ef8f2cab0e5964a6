/**
 * Kubernetes in the App's VM template (K3s.withKubernetes through
 * VmTemplate.render): the k3s provision script, the params naming the k3s
 * release (tag, URL, checksums) or the base template's own source, and the
 * forward of the guest's 6443 to the App's kubernetesPort. The provision script
 * itself runs here with the host's sh, curl and sha256sum, its guest paths moved
 * into a temp dir: a download that fails ends in `failed: ...` within seconds and
 * exit 0 (the VM still boots), a wrong digest is refused, the right one installs
 * and starts k3s with the engine's runtime flag.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parse } from "yaml"
import type { AppSpec } from "../../src/domain/App.js"
import * as K3s from "../../src/domain/app/K3s.js"
import * as VmTemplate from "../../src/domain/app/VmTemplate.js"

const spec = (over: Partial<AppSpec> = {}): AppSpec => ({
  running: true,
  namespace: "default",
  containerEngine: "moby",
  kubernetesEnabled: true,
  kubernetesVersion: "1.34.6",
  ...over
})
const host: VmTemplate.HostParams = { dockerSocket: "/h/.rd2/docker.sock", homeInGuest: "/h", instanceConfigDir: "/h/d", kubernetesPort: 7443 }

interface Rendered {
  readonly param: Record<string, string>
  readonly provision: ReadonlyArray<{ readonly script: string }>
  readonly portForwards: ReadonlyArray<{ readonly guestPort?: number; readonly hostIP?: string; readonly hostPort?: number }>
}

const render = (base: string, s: AppSpec) => {
  const r = VmTemplate.render(base, s, host)
  if ("error" in r) throw new Error(r.error)
  return { text: r.text, doc: parse(r.text) as Rendered }
}

describe("k3s in the App's VM template", () => {
  it("enabled: the release's params, the script after the engine's, 6443 forwarded to the kubernetesPort (replacing the base's rule)", () => {
    const { doc } = render(VmTemplate.defaultBase, spec())
    assert.deepInclude(doc.param, {
      KUBERNETES_ENABLED: "true",
      KUBERNETES_PORT: "7443",
      K3S_TAG: "v1.34.6+k3s1",
      K3S_URL: "https://github.com/k3s-io/k3s/releases/download/v1.34.6%2Bk3s1/k3s",
      K3S_SHA256: "",
      K3S_CHECKSUMS: "https://github.com/k3s-io/k3s/releases/download/v1.34.6%2Bk3s1/sha256sum-amd64.txt"
    })
    const scripts = doc.provision.map((p) => p.script)
    assert.lengthOf(scripts, 2)
    assert.include(scripts[0], "# rdd: the App's container engine (moby)")
    assert.include(scripts[1], K3s.ProvisionMarker)
    assert.include(scripts[1], "--docker")
    assert.deepStrictEqual(doc.portForwards.filter((f) => f.guestPort === 6443), [
      { guestPort: 6443, hostIP: "127.0.0.1", hostPort: 7443 }
    ])
    assert.include(render(VmTemplate.defaultBase, spec({ containerEngine: "containerd" })).text, "--container-runtime-endpoint unix:///run/containerd/containerd.sock")
    const arm = VmTemplate.render(VmTemplate.defaultBase, spec(), { ...host, arch: "aarch64" })
    assert.include("text" in arm ? arm.text : "", "download/v1.34.6%2Bk3s1/k3s-arm64")
  })

  it("disabled: no k3s script, no K3S_ params, the base's forwards untouched; re-rendering never doubles the script", () => {
    const { doc, text } = render(VmTemplate.defaultBase, spec({ kubernetesEnabled: false }))
    assert.notInclude(text, K3s.ProvisionMarker)
    assert.notProperty(doc.param, "K3S_URL")
    assert.deepStrictEqual(doc.portForwards.filter((f) => f.guestPort === 6443), [
      { guestPort: 6443, hostIP: "127.0.0.1", hostPort: 6443 }
    ])
    const twice = render(render(VmTemplate.defaultBase, spec()).text, spec()).text
    assert.strictEqual(twice.split(K3s.ProvisionMarker).length - 1, 1)
  })

  it("a base template's own K3S_URL and K3S_SHA256 (a mirror, a test server) win over the release's", () => {
    const base = "images: []\nparam:\n  K3S_URL: http://192.168.5.2:8000/k3s\n  K3S_SHA256: abc\n"
    const { doc } = render(base, spec())
    assert.strictEqual(doc.param["K3S_URL"], "http://192.168.5.2:8000/k3s")
    assert.strictEqual(doc.param["K3S_SHA256"], "abc")
    assert.strictEqual(doc.param["K3S_TAG"], "v1.34.6+k3s1")
  })
})

/** The script with its guest paths moved under `root`, and systemd never detected. */
const sandboxed = (root: string, engine: "moby" | "containerd" = "moby"): string =>
  K3s.provisionScript(engine)
    .replaceAll("/var/lib/rdd/k3s", `${root}/state`)
    .replaceAll("/etc/rancher/k3s", `${root}/etc`)
    .replaceAll("/usr/local/bin/k3s", `${root}/bin/k3s`)
    .replaceAll("/var/log/k3s.log", `${root}/k3s.log`)
    .replaceAll("/run/systemd/system", `${root}/no-systemd`)

const run = (root: string, params: Record<string, string>) => {
  fs.mkdirSync(`${root}/bin`, { recursive: true })
  const file = path.join(root, "provision.sh")
  fs.writeFileSync(file, sandboxed(root), { mode: 0o755 })
  const started = Date.now()
  const out = execFileSync("sh", [file], {
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", PARAM_K3S_TAG: "v1.34.6+k3s1", ...params },
    encoding: "utf8",
    timeout: 120_000,
    stdio: ["ignore", "pipe", "pipe"]
  })
  return { out, seconds: (Date.now() - started) / 1000, status: fs.readFileSync(`${root}/state/status`, "utf8").trim() }
}

describe("the k3s provision script (host sh, curl, sha256sum)", () => {
  const withRoot = (f: (root: string) => void) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-k3s-script-"))
    try {
      f(root)
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  }
  const fakeK3s = (root: string) => {
    // stands in for k3s: records its arguments
    const bin = path.join(root, "fake-k3s")
    fs.writeFileSync(bin, `#!/bin/sh\necho "$@" > ${root}/k3s.args\n`, { mode: 0o755 })
    return { bin, sha: createHash("sha256").update(fs.readFileSync(bin)).digest("hex") }
  }
  const waitFor = (file: string) => {
    // the script starts k3s in the background: its record appears shortly after
    const end = Date.now() + 30_000
    while (!fs.existsSync(file) || fs.readFileSync(file, "utf8") === "") {
      if (Date.now() > end) throw new Error(`${file} never appeared`)
      execFileSync("sleep", ["0.1"])
    }
    return fs.readFileSync(file, "utf8")
  }

  it("a download that fails (nothing listens) ends in failed: with curl's reason, exit 0, within seconds", () =>
    withRoot((root) => {
      const r = run(root, { PARAM_K3S_URL: "https://127.0.0.1:1/k3s", PARAM_K3S_SHA256: "", PARAM_K3S_CHECKSUMS: "https://127.0.0.1:1/sha256sum-amd64.txt" })
      assert.match(r.status, /^failed: download of https:\/\/127\.0\.0\.1:1\/sha256sum-amd64\.txt failed \(exit 7\): curl: \(7\) .*127\.0\.0\.1/)
      // connection refused is not retried by curl, and the script does not wait on its own
      assert.isBelow(r.seconds, 60)
      assert.isFalse(fs.existsSync(`${root}/bin/k3s`))
    }))

  it("a binary whose sha256 is not the pinned one is refused", () =>
    withRoot((root) => {
      const k3s = fakeK3s(root)
      const r = run(root, { PARAM_K3S_URL: `file://${k3s.bin}`, PARAM_K3S_SHA256: "0".repeat(64), PARAM_K3S_CHECKSUMS: "unused" })
      assert.strictEqual(r.status, `failed: file://${k3s.bin} has sha256 ${k3s.sha}, expected ${"0".repeat(64)}`)
      assert.isFalse(fs.existsSync(`${root}/bin/k3s`))
    }))

  it("the pinned digest installs and starts k3s (server on 6443, kubeconfig readable, the engine's runtime)", () =>
    withRoot((root) => {
      const k3s = fakeK3s(root)
      const r = run(root, { PARAM_K3S_URL: `file://${k3s.bin}`, PARAM_K3S_SHA256: k3s.sha, PARAM_K3S_CHECKSUMS: "unused" })
      assert.strictEqual(r.status, "started v1.34.6+k3s1")
      assert.strictEqual(waitFor(`${root}/k3s.args`).trim(), "server --https-listen-port 6443 --write-kubeconfig-mode 0644 --docker")
      assert.strictEqual(fs.readFileSync(`${root}/state/installed`, "utf8").trim(), `v1.34.6+k3s1 ${k3s.sha}`)
    }))

  it("without a pinned digest it takes the one the release's checksum file lists for the binary", () =>
    withRoot((root) => {
      const k3s = fakeK3s(root)
      const sums = path.join(root, "sha256sum-amd64.txt")
      fs.writeFileSync(sums, `${"1".repeat(64)}  k3s-airgap-images-amd64.tar\n${k3s.sha}  fake-k3s\n`)
      const r = run(root, { PARAM_K3S_URL: `file://${k3s.bin}`, PARAM_K3S_SHA256: "", PARAM_K3S_CHECKSUMS: `file://${sums}` })
      assert.strictEqual(r.status, "started v1.34.6+k3s1")
      fs.writeFileSync(sums, `${"1".repeat(64)}  other\n`)
      fs.rmSync(`${root}/state/installed`)
      const missing = run(root, { PARAM_K3S_URL: `file://${k3s.bin}`, PARAM_K3S_SHA256: "", PARAM_K3S_CHECKSUMS: `file://${sums}` })
      assert.strictEqual(missing.status, `failed: file://${sums} lists no fake-k3s`)
    }))
})
