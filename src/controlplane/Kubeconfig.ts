/**
 * The kubeconfig a daemon run writes (`config.yaml`, 0600, atomically, only once
 * it listens). Its cluster, admin user and admin context (current) are named
 * `rdd-<suffix>`, and the non-admin token's user and context `rdd-<suffix>-user`:
 * names that stay distinct when users merge several instances' kubeconfigs into
 * ~/.kube/config, as minikube's and kind's do (the Go tool's `root`/`user`
 * collided). They must not be the instance's name either: that is the App's
 * Kubernetes context (k3s in the VM, controllers/kubernetes), which rdd merges
 * into and removes from ~/.kube/config as Kubernetes starts and stops. Named
 * after the instance, the control plane's entries a user had merged were
 * replaced by k3s's and then removed, under a live daemon. The tokens are this
 * run's fresh bearer tokens (reference/go-rdd-service-lifecycle.md section 7).
 */
import * as YAML from "yaml"

export interface Tokens {
  readonly admin: string
  readonly user: string
}

/** The names in the kubeconfig of the instance with this suffix. */
export const names = (suffix: string) => ({
  cluster: `rdd-${suffix}`,
  admin: `rdd-${suffix}`,
  user: `rdd-${suffix}-user`
})

export const render = (suffix: string, port: number, caPem: string, tokens: Tokens): string => {
  const n = names(suffix)
  return YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: n.cluster, cluster: { server: `https://127.0.0.1:${port}`, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [
      { name: n.admin, user: { token: tokens.admin } },
      { name: n.user, user: { token: tokens.user } }
    ],
    contexts: [
      { name: n.admin, context: { cluster: n.cluster, user: n.admin } },
      { name: n.user, context: { cluster: n.cluster, user: n.user } }
    ],
    "current-context": n.admin,
    preferences: {}
  })
}
