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
export const defaults = (app: KubeObject): KubeObject => withChannel(withCrdDefaults(app))

/**
 * The CRD's own defaults (namespace, container engine), applied again here so
 * that a stored App is complete even where the server's schema defaulting is not.
 */
const withCrdDefaults = (app: KubeObject): KubeObject => {
  const spec = app["spec"]
  if (!isRecord(spec)) return app
  const engine = spec["containerEngine"]
  const needsNamespace = spec["namespace"] === undefined
  const needsEngine = engine === undefined || (isRecord(engine) && engine["name"] === undefined)
  if (!needsNamespace && !needsEngine) return app
  return {
    ...app,
    spec: {
      ...spec,
      ...(needsNamespace ? { namespace: App.DefaultNamespace } : {}),
      ...(needsEngine ? { containerEngine: { ...(isRecord(engine) ? engine : {}), name: "moby" } } : {})
    }
  }
}

const withChannel = (app: KubeObject): KubeObject => {
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
  const invalid = settingsError(spec)
  if (invalid !== undefined) return invalid
  if (old !== undefined) {
    const before = App.specOf(old).namespace
    const after = App.specOf(app).namespace
    if (before !== after) return "spec.namespace is immutable"
  }
  return undefined
}

const bounds: ReadonlyArray<{ readonly key: "cpus" | "memoryInGB"; readonly min: number; readonly max: number }> = [
  { key: "cpus", min: 1, max: 64 },
  { key: "memoryInGB", min: 1, max: 256 }
]

/**
 * The schema's type, enum and bound rules for the settings, in kube's wording;
 * the same as the CRD says, checked again so they hold even where the server's
 * schema validation is not applied.
 */
const settingsError = (spec: Mutable): string | undefined => {
  if (typeof spec["running"] !== "boolean") return "spec.running: Required value"
  const engine = isRecord(spec["containerEngine"]) ? spec["containerEngine"]["name"] : undefined
  if (engine !== undefined && !(App.ContainerEngines as ReadonlyArray<unknown>).includes(engine)) {
    return `spec.containerEngine.name: Unsupported value: ${JSON.stringify(engine)}: supported values: "moby", "containerd"`
  }
  const vm = isRecord(spec["virtualMachine"]) ? spec["virtualMachine"] : {}
  for (const { key, min, max } of bounds) {
    const v = vm[key]
    if (v === undefined) continue
    const field = `spec.virtualMachine.${key}`
    if (typeof v !== "number" || !Number.isInteger(v)) return `${field}: Invalid value: ${JSON.stringify(v)}: ${field} in body must be of type integer`
    if (v < min) return `${field}: Invalid value: ${v}: ${field} in body should be greater than or equal to ${min}`
    if (v > max) return `${field}: Invalid value: ${v}: ${field} in body should be less than or equal to ${max}`
  }
  return undefined
}
