/**
 * The kube-context rules on kubeconfigs (KubeconfigMerge): over random user
 * kubeconfigs, merging the instance's context never changes or drops any other
 * entry or unknown field, is idempotent, and removing it gives back the user's
 * entries; current-context moves to ours only when the user's does not work
 * (unset, dangling, or its server does not answer), and removal clears it only
 * when it named ours. Plus the entries made from a k3s.yaml as k3s writes it.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Merge from "../../src/domain/KubeconfigMerge.js"

const Ours = "rancher-desktop-2"

/** k3s's /etc/rancher/k3s/k3s.yaml, shape as k3s v1.3x writes it (data shortened). */
const k3sYaml: Merge.Kubeconfig = {
  apiVersion: "v1",
  clusters: [{ cluster: { "certificate-authority-data": "Q0E=", server: "https://127.0.0.1:6443" }, name: "default" }],
  contexts: [{ context: { cluster: "default", user: "default" }, name: "default" }],
  "current-context": "default",
  kind: "Config",
  preferences: {},
  users: [{ name: "default", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }]
}

const entries = (() => {
  const e = Merge.entriesFrom(k3sYaml, Ours, "https://127.0.0.1:7443")
  if ("error" in e) throw new Error(e.error)
  return e
})()

const name = fc.constantFrom("kind-kind", "minikube", "prod", "docker-desktop", Ours, "rancher-desktop-3", "a", "b")
const named = (key: string) => fc.record({ name, [key]: fc.record({ server: fc.constantFrom("https://10.0.0.1", "https://x:6443") }) })
const userConfig = fc.record({
  apiVersion: fc.constant("v1"),
  kind: fc.constant("Config"),
  clusters: fc.uniqueArray(named("cluster"), { selector: (e) => e.name, maxLength: 4 }),
  users: fc.uniqueArray(fc.record({ name, user: fc.record({ token: fc.string() }) }), { selector: (e) => e.name, maxLength: 4 }),
  contexts: fc.uniqueArray(fc.record({ name, context: fc.record({ cluster: name, user: name }) }), { selector: (e) => e.name, maxLength: 4 }),
  "current-context": fc.oneof(fc.constant(""), name),
  preferences: fc.constant({ colors: true }),
  extensions: fc.constant([{ name: "x", extension: { y: 1 } }])
}, { requiredKeys: ["apiVersion", "kind", "clusters", "users", "contexts"] })

const others = (c: Merge.Kubeconfig, key: "clusters" | "users" | "contexts") =>
  ((c[key] as Array<{ name: string }> | undefined) ?? []).filter((e) => e.name !== Ours)

describe("KubeconfigMerge", () => {
  it("makes the entries from k3s's kubeconfig: renamed, server pointed at the host port, credentials kept", () => {
    assert.deepStrictEqual(entries, {
      name: Ours,
      cluster: { "certificate-authority-data": "Q0E=", server: "https://127.0.0.1:7443" },
      user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" }
    })
    assert.deepStrictEqual(Merge.entriesFrom({ ...k3sYaml, users: [] }, Ours, "s"), { error: `k3s's kubeconfig has no user "default"` })
    assert.deepStrictEqual(Merge.entriesFrom({}, Ours, "s"), { error: "k3s's kubeconfig has no context" })
  })

  it.prop("merge keeps every other entry and field, replaces ours in place, and is idempotent", [userConfig, fc.boolean()], ([user, current]) => {
    const merged = Merge.merge(user, entries, current)
    for (const key of ["clusters", "users", "contexts"] as const) {
      assert.deepStrictEqual(others(merged, key), others(user, key))
      assert.strictEqual((merged[key] as Array<{ name: string }>).filter((e) => e.name === Ours).length, 1)
      // an entry of ours that was there stays where it was
      const at = (user[key] as Array<{ name: string }>).findIndex((e) => e.name === Ours)
      if (at >= 0) assert.strictEqual((merged[key] as Array<{ name: string }>)[at]?.name, Ours)
    }
    assert.deepStrictEqual(merged["preferences"], user.preferences)
    assert.deepStrictEqual(merged["extensions"], user.extensions)
    assert.strictEqual(Merge.currentContext(merged), current ? Ours : user["current-context"] ?? "")
    assert.deepStrictEqual(Merge.merge(merged, entries, current), merged)
    assert.strictEqual(Merge.serverOf(merged, Ours), "https://127.0.0.1:7443")
  })

  it.prop("remove takes exactly ours out, and clears current-context only when it named ours", [userConfig, fc.boolean()], ([user, current]) => {
    const removed = Merge.remove(Merge.merge(user, entries, current), Ours)
    assert.isFalse(Merge.has(removed, Ours))
    for (const key of ["clusters", "users", "contexts"] as const) assert.deepStrictEqual(removed[key], others(user, key))
    const before = current ? Ours : user["current-context"] ?? ""
    assert.strictEqual(Merge.currentContext(removed), before === Ours ? "" : before)
    assert.deepStrictEqual(removed["preferences"], user.preferences)
  })

  it.prop("current-context moves to ours only when the user's does not work", [userConfig, fc.boolean()], ([user, works]) => {
    const current = user["current-context"] ?? ""
    const dangling = !user.contexts.some((c) => c.name === current)
    const expected = current === "" || current === Ours || dangling || !works
    assert.strictEqual(Merge.shouldSetCurrent(user, Ours, works), expected)
  })

  it("a user with a working context of their own keeps it; one with none gets ours", () => {
    const mine = { apiVersion: "v1", kind: "Config", clusters: [{ name: "kind", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "kind", user: {} }], contexts: [{ name: "kind", context: { cluster: "kind", user: "kind" } }], "current-context": "kind" }
    assert.isFalse(Merge.shouldSetCurrent(mine, Ours, true))
    assert.isTrue(Merge.shouldSetCurrent(mine, Ours, false))
    assert.isTrue(Merge.shouldSetCurrent(undefined, Ours, true))
    assert.strictEqual(Merge.currentContext(Merge.merge(undefined, entries, true)), Ours)
    // malformed entries of the user's are theirs: kept by merge and remove
    const odd = { ...mine, contexts: [...mine.contexts, "junk", { noName: true }] }
    assert.deepStrictEqual((Merge.remove(Merge.merge(odd, entries, false), Ours)["contexts"] as Array<unknown>), odd.contexts)
  })

  it("standalone has only our context, current", () => {
    const s = Merge.standalone(entries)
    assert.deepStrictEqual(Merge.contextNames(s), [Ours])
    assert.strictEqual(Merge.currentContext(s), Ours)
    assert.strictEqual(s["kind"], "Config")
  })
})
