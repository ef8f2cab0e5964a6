/**
 * App admission as pure functions (the Go tool's app-defaulter and app-validator
 * webhooks): the defaulter resolves Kubernetes release channels from the bundled
 * versions table, the validator refuses unsupported versions, a name other than
 * `app`, and a changed `spec.namespace`. The control plane wraps these as its
 * mutating and validating admission plugins for `apps.app.rancherdesktop.io`.
 */
import type { KubeObject } from "../KubeObject.js"
import * as App from "../App.js"
import * as K3sVersions from "./K3sVersions.js"

type Mutable = { [key: string]: unknown }

const isRecord = (u: unknown): u is Mutable => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Mutating: kubernetes enabled without a version → the default channel; a
 * channel name → its concrete version; anything else untouched. Returns the
 * object unchanged (same reference) when there is nothing to do.
 */
export const defaults = (app: KubeObject): KubeObject => {
  const spec = app["spec"]
  if (!isRecord(spec) || !isRecord(spec["kubernetes"])) return app
  const kubernetes = spec["kubernetes"]
  const version = typeof kubernetes["version"] === "string" ? kubernetes["version"] : ""
  const wanted = version === "" && kubernetes["enabled"] === true ? K3sVersions.DefaultChannel : version
  if (wanted === "") return app
  const resolved = K3sVersions.resolveChannel(wanted)
  if (resolved === version) return app
  return { ...app, spec: { ...spec, kubernetes: { ...kubernetes, version: resolved } } }
}

/** Validating (CREATE and UPDATE): the denial reason, or undefined when allowed. */
export const validate = (app: KubeObject, old: KubeObject | undefined): string | undefined => {
  if (app.metadata.name !== App.SingletonName) return "App resource must be named 'app'"
  const spec = isRecord(app["spec"]) ? app["spec"] : {}
  const kubernetes = isRecord(spec["kubernetes"]) ? spec["kubernetes"] : {}
  const version = typeof kubernetes["version"] === "string" ? kubernetes["version"] : ""
  if (kubernetes["enabled"] === true && version === "") {
    return "spec.kubernetes.version must not be empty when spec.kubernetes.enabled is true"
  }
  if (version !== "" && !K3sVersions.isSupported(version)) {
    return `spec.kubernetes.version ${JSON.stringify(version)} is not supported; see the bundled k3s-versions.json for valid versions`
  }
  if (old !== undefined) {
    const before = App.specOf(old).namespace
    const after = App.specOf(app).namespace
    if (before !== after) return "spec.namespace is immutable"
  }
  return undefined
}
