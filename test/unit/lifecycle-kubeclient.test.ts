/** KubeClientLive's pure parts: resource paths and the Status → typed error mapping (exit codes follow). */
import { describe, expect, it } from "vitest"
import { exitCodeFor } from "../../src/domain/ExitCode.js"
import { Core } from "../../src/domain/KubeObject.js"
import { collectionPath, errorOf, objectPath } from "../../src/layers/kube/Rest.js"

const status = (code: number, reason: string, message = "m") => JSON.stringify({ kind: "Status", status: "Failure", code, reason, message })

describe("KubeClientLive paths", () => {
  it("core, grouped, namespaced and cluster-scoped", () => {
    expect(collectionPath(Core.configmaps, "rdd-system")).toBe("/api/v1/namespaces/rdd-system/configmaps")
    expect(collectionPath(Core.configmaps)).toBe("/api/v1/configmaps")
    expect(collectionPath(Core.namespaces, "ignored")).toBe("/api/v1/namespaces")
    expect(objectPath({ type: Core.crds, name: "limavms.lima.rancherdesktop.io" }))
      .toBe("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/limavms.lima.rancherdesktop.io")
    expect(objectPath({ type: Core.configmaps, namespace: "a b", name: "x/y" })).toBe("/api/v1/namespaces/a%20b/configmaps/x%2Fy")
  })
})

describe("KubeClientLive errors", () => {
  it.each([
    [404, status(404, "NotFound"), "NotFound", 1],
    [409, status(409, "AlreadyExists"), "AlreadyExists", 1],
    [409, status(409, "Conflict"), "Conflict", 1],
    [422, status(422, "Invalid", "spec.x: Invalid value"), "Rejected", 3],
    [400, status(400, "BadRequest"), "Rejected", 3],
    [403, status(403, "Forbidden", "admission webhook \"x\" denied the request: no"), "Rejected", 3],
    [401, status(401, "Unauthorized"), "Unavailable", 1],
    [500, "not json", "Unavailable", 1],
    [503, "", "Unavailable", 1]
  ])("HTTP %i → %s", (code, body, tag, exit) => {
    const e = errorOf(code, body, "GET /x")
    expect(e._tag).toBe(tag)
    expect(exitCodeFor(e)).toBe(exit)
  })

  it("keeps the server's message and reason on a rejection", () => {
    const e = errorOf(422, status(422, "Invalid", "spec.templateRef: field is immutable"), "PATCH /x")
    expect(e).toMatchObject({ _tag: "Rejected", code: 422, reason: "Invalid", message: "spec.templateRef: field is immutable" })
  })
})
