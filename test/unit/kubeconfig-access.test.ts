/**
 * Reading a kubeconfig without client-node: what rdd's own kubeconfigs need (inline
 * CA and token) and file references, relative to the kubeconfig; anything needing
 * more is handed to client-node (Unsupported), never half-read.
 */
import { describe, expect, it } from "@effect/vitest"
import * as YAML from "yaml"
import * as Kubeconfig from "../../src/controlplane/Kubeconfig.js"
import * as KubeconfigAccess from "../../src/domain/k8s/KubeconfigAccess.js"

const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

const config = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
  YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443", ...cluster } }, { name: "other", cluster: { server: "https://x:1" } }],
    users: [{ name: "u", user }, { name: "v", user: { token: "not-this" } }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }, { name: "o", context: { cluster: "other", user: "v" } }],
    "current-context": "ctx"
  })

describe("KubeconfigAccess.read", () => {
  it("reads the kubeconfig rdd writes: server, inline CA, the admin token of the current context", () => {
    const text = Kubeconfig.render("x", 6598, ca, { admin: "adm", user: "usr" })
    expect(KubeconfigAccess.read(text)).toEqual({
      _tag: "Access",
      access: { server: "https://127.0.0.1:6598", ca: { _tag: "Inline", pem: ca }, insecureSkipTlsVerify: false, token: "adm" }
    })
  })

  it("follows current-context, and keeps file references and TLS options", () => {
    const r = KubeconfigAccess.read(config(
      { "client-certificate": "crt.pem", "client-key-data": btoa("KEY"), tokenFile: "/t" },
      { "certificate-authority": "ca.pem", "insecure-skip-tls-verify": true, "tls-server-name": "localhost" }
    ))
    expect(r).toEqual({
      _tag: "Access",
      access: {
        server: "https://127.0.0.1:6443",
        ca: { _tag: "File", path: "ca.pem" },
        insecureSkipTlsVerify: true,
        tlsServerName: "localhost",
        tokenFile: "/t",
        clientCert: { _tag: "File", path: "crt.pem" },
        clientKey: { _tag: "Inline", pem: "KEY" }
      }
    })
  })

  it("hands exec plugins, auth providers, basic auth, impersonation and proxies to client-node", () => {
    for (const user of [{ exec: { command: "x" } }, { "auth-provider": { name: "oidc" } }, { username: "a", password: "b" }, { as: "me" }]) {
      expect(KubeconfigAccess.read(config(user))._tag).toBe("Unsupported")
    }
    expect(KubeconfigAccess.read(config({ token: "t" }, { "proxy-url": "http://p" }))._tag).toBe("Unsupported")
  })

  it("says what is wrong with a kubeconfig it cannot use", () => {
    expect(KubeconfigAccess.read("{")).toMatchObject({ _tag: "Invalid" })
    expect(KubeconfigAccess.read("a: 1")).toEqual({ _tag: "Invalid", message: "no current-context" })
    expect(KubeconfigAccess.read(config({}).replace("current-context: ctx", "current-context: nope"))).toEqual({
      _tag: "Invalid",
      message: "no context named \"nope\""
    })
  })
})
