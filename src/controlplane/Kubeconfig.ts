/**
 * The kubeconfig a daemon run writes (`config.yaml`, 0600, atomically, only once
 * it listens): cluster `root` at the bound port with the CA inline, users
 * `system-admin` and `user` with this run's fresh bearer tokens, contexts `root`
 * (current) and `user` (reference/go-rdd-service-lifecycle.md section 7).
 */
import * as YAML from "yaml"

export interface Tokens {
  readonly admin: string
  readonly user: string
}

export const render = (port: number, caPem: string, tokens: Tokens): string =>
  YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "root", cluster: { server: `https://127.0.0.1:${port}`, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [
      { name: "system-admin", user: { token: tokens.admin } },
      { name: "user", user: { token: tokens.user } }
    ],
    contexts: [
      { name: "root", context: { cluster: "root", user: "system-admin" } },
      { name: "user", context: { cluster: "root", user: "user" } }
    ],
    "current-context": "root",
    preferences: {}
  })
