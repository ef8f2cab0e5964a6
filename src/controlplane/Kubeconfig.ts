/**
 * The kubeconfig a daemon run writes (`config.yaml`, 0600, atomically, only once
 * it listens). Its cluster, admin user and admin context (current) are named
 * after the instance, `rancher-desktop-<suffix>`, and the non-admin token's user
 * and context `rancher-desktop-<suffix>-user`: names that stay distinct when
 * users merge several instances' kubeconfigs into ~/.kube/config, as minikube's
 * and kind's do. (The Go tool's `root`/`user` collided.) The tokens are this
 * run's fresh bearer tokens (reference/go-rdd-service-lifecycle.md section 7).
 */
import * as YAML from "yaml"

export interface Tokens {
  readonly admin: string
  readonly user: string
}

/** The names in the kubeconfig of instance `instanceName` (`rancher-desktop-<suffix>`). */
export const names = (instanceName: string) => ({
  cluster: instanceName,
  admin: instanceName,
  user: `${instanceName}-user`
})

export const render = (instanceName: string, port: number, caPem: string, tokens: Tokens): string => {
  const n = names(instanceName)
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
