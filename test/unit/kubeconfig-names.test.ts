/**
 * The control plane's kubeconfig names (controlplane/Kubeconfig.ts) never meet
 * the App's Kubernetes context, which is named after the instance and which rdd
 * merges into ~/.kube/config and removes again as k3s starts and stops
 * (domain/KubeconfigMerge.ts). A user who merged `rdd svc config` into
 * ~/.kube/config keeps those entries, unchanged, through both. Before, both
 * were `rancher-desktop-<suffix>`: the merge replaced the control plane's
 * entries with k3s's and the removal deleted them, under a live daemon.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as YAML from "yaml"
import * as Kubeconfig from "../../src/controlplane/Kubeconfig.js"
import * as Instance from "../../src/domain/Instance.js"
import * as Merge from "../../src/domain/KubeconfigMerge.js"

const suffix = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/).filter((s) => Either.isRight(Instance.validateSuffix(s)))

const k3sYaml: Merge.Kubeconfig = {
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: "default", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "Q0E=" } }],
  users: [{ name: "default", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }],
  contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
  "current-context": "default"
}

const appContext = (s: string): string => Either.getOrThrow(Instance.make(s)).name

describe("the control plane's kubeconfig names", () => {
  it.prop("differ from every instance's App context, whatever the suffixes", [suffix, suffix], ([a, b]) => {
    const n = Kubeconfig.names(a)
    for (const name of [n.cluster, n.admin, n.user]) {
      assert.notStrictEqual(name, appContext(a))
      assert.notStrictEqual(name, appContext(b))
    }
  })

  it.prop("a merged control-plane kubeconfig survives the App's Kubernetes starting and stopping", [suffix], ([s]) => {
    // what `KUBECONFIG=~/.kube/config:<rdd svc config> kubectl config view --flatten` leaves in ~/.kube/config
    const user = YAML.parse(Kubeconfig.render(s, 6445, "CA", { admin: "a", user: "u" })) as Merge.Kubeconfig
    const entries = Merge.entriesFrom(k3sYaml, appContext(s), "https://127.0.0.1:7443")
    if ("error" in entries) throw new Error(entries.error)
    const withK3s = Merge.merge(user, entries, false)
    const n = Kubeconfig.names(s)
    for (const key of ["clusters", "users", "contexts"] as const) {
      const before = (user[key] as ReadonlyArray<{ name: string }>)
      const during = (withK3s[key] as ReadonlyArray<{ name: string }>)
      for (const e of before) assert.deepStrictEqual(during.find((x) => x.name === e.name), e)
    }
    assert.strictEqual(Merge.currentContext(withK3s), n.admin)
    const after = Merge.remove(withK3s, appContext(s))
    assert.deepStrictEqual(after, user)
  })
})
