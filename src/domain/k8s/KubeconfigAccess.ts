/**
 * What a client needs from a kubeconfig to reach its current context's API server:
 * the server URL, the CA, and the credentials (bearer token, or client certificate
 * and key), each given inline or as a file. This is everything rdd's own
 * kubeconfigs use, read with a YAML parser alone: loading @kubernetes/client-node
 * just to read them cost `rdd ctl` about half a second per call. Kubeconfigs that
 * need more (exec plugins, auth providers, basic auth, proxies) are `Unsupported`,
 * and the caller hands those to client-node, which implements them all.
 */
import * as YAML from "yaml"

/** Inline PEM or a path to read it from (relative paths are relative to the kubeconfig's directory). */
export type Source = { readonly _tag: "Inline"; readonly pem: string } | { readonly _tag: "File"; readonly path: string }

export interface Access {
  readonly server: string
  readonly ca?: Source
  readonly insecureSkipTlsVerify: boolean
  readonly tlsServerName?: string
  readonly token?: string
  readonly tokenFile?: string
  readonly clientCert?: Source
  readonly clientKey?: Source
}

export type Read =
  | { readonly _tag: "Access"; readonly access: Access }
  | { readonly _tag: "Unsupported"; readonly why: string }
  | { readonly _tag: "Invalid"; readonly message: string }

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v)
const str = (o: Obj, k: string): string | undefined => (typeof o[k] === "string" && o[k] !== "" ? (o[k] as string) : undefined)

const named = (list: unknown, name: string, field: string): Obj | undefined => {
  if (!Array.isArray(list)) return undefined
  const entry = list.find((e) => isObj(e) && e["name"] === name)
  return isObj(entry) && isObj(entry[field]) ? (entry[field] as Obj) : undefined
}

const source = (o: Obj, dataKey: string, fileKey: string): Source | undefined => {
  const data = str(o, dataKey)
  if (data !== undefined) return { _tag: "Inline", pem: atob(data) }
  const file = str(o, fileKey)
  return file === undefined ? undefined : { _tag: "File", path: file }
}

/** Fields of a user entry this reader does not implement: any of them sends the kubeconfig to client-node. */
const UnsupportedUserFields = ["exec", "auth-provider", "username", "password", "as", "as-groups", "as-uid"]

export const read = (text: string): Read => {
  let doc: unknown
  try {
    doc = YAML.parse(text)
  } catch (e) {
    return { _tag: "Invalid", message: `not YAML: ${(e as Error).message}` }
  }
  if (!isObj(doc)) return { _tag: "Invalid", message: "not a kubeconfig (no mapping at the top)" }
  const current = str(doc, "current-context")
  if (current === undefined) return { _tag: "Invalid", message: "no current-context" }
  const context = named(doc["contexts"], current, "context")
  if (context === undefined) return { _tag: "Invalid", message: `no context named ${JSON.stringify(current)}` }
  const clusterName = str(context, "cluster")
  const cluster = clusterName === undefined ? undefined : named(doc["clusters"], clusterName, "cluster")
  if (cluster === undefined) return { _tag: "Invalid", message: `context ${JSON.stringify(current)} names no known cluster` }
  const server = str(cluster, "server")
  if (server === undefined) return { _tag: "Invalid", message: `cluster ${JSON.stringify(clusterName)} has no server` }
  if (str(cluster, "proxy-url") !== undefined) return { _tag: "Unsupported", why: "proxy-url" }
  const userName = str(context, "user")
  const user = userName === undefined ? {} : named(doc["users"], userName, "user") ?? {}
  const unsupported = UnsupportedUserFields.find((k) => user[k] !== undefined)
  if (unsupported !== undefined) return { _tag: "Unsupported", why: `user field ${unsupported}` }
  const ca = source(cluster, "certificate-authority-data", "certificate-authority")
  const clientCert = source(user, "client-certificate-data", "client-certificate")
  const clientKey = source(user, "client-key-data", "client-key")
  const token = str(user, "token")
  const tokenFile = str(user, "tokenFile")
  const tlsServerName = str(cluster, "tls-server-name")
  return {
    _tag: "Access",
    access: {
      server,
      insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
      ...(ca === undefined ? {} : { ca }),
      ...(tlsServerName === undefined ? {} : { tlsServerName }),
      ...(token === undefined ? {} : { token }),
      ...(tokenFile === undefined ? {} : { tokenFile }),
      ...(clientCert === undefined ? {} : { clientCert }),
      ...(clientKey === undefined ? {} : { clientKey })
    }
  }
}
