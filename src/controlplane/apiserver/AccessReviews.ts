/**
 * The self-review APIs tools ask before acting (`kubectl auth can-i`,
 * `kubectl auth whoami`, k9s, Helm): authorization.k8s.io/v1
 * SelfSubjectAccessReview and SelfSubjectRulesReview, authentication.k8s.io/v1
 * SelfSubjectReview. Create-only and never stored: the answer is computed from
 * the request and returned, as in Kubernetes.
 *
 * rdd has no RBAC: every authenticated user (the admin token and the user
 * token alike) may do everything, and an unauthenticated request is refused
 * before it gets here. The answers say exactly that.
 */
import * as Effect from "effect/Effect"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as FieldError from "../../domain/k8s/FieldError.js"
import * as Status from "../../domain/k8s/Status.js"
import * as ApiError from "./ApiError.js"
import { isObject } from "./Meta.js"
import { apiVersionOf, type ResourceInfo } from "./Registry.js"

export const AllowedReason = "rdd authorizes every authenticated user for every request (there is no RBAC)"

const invalid = (info: ResourceInfo, errs: ReadonlyArray<FieldError.FieldError>) =>
  ApiError.of(Status.invalid({ group: info.group, kind: info.kind }, "", errs))

/** The review as the server answers it: the request's spec, the computed status, no stored metadata. */
export const review = (info: ResourceInfo, body: KubeObject, user: string): Effect.Effect<KubeObject, ApiError.ApiError> => {
  const spec = isObject(body["spec"]) ? body["spec"] : {}
  const answer = (status: Record<string, unknown>, withSpec = true): KubeObject =>
    ({
      kind: info.kind,
      apiVersion: apiVersionOf(info),
      metadata: { creationTimestamp: null } as unknown as KubeObject["metadata"],
      ...(withSpec ? { spec } : {}),
      status
    }) as KubeObject
  switch (info.kind) {
    case "SelfSubjectAccessReview": {
      const resource = spec["resourceAttributes"]
      const nonResource = spec["nonResourceAttributes"]
      // exactly one of the two, as kube's ValidateSelfSubjectAccessReviewSpec requires
      if ((resource === undefined || resource === null) === (nonResource === undefined || nonResource === null)) {
        return Effect.fail(invalid(info, [
          FieldError.invalid("spec.resourceAttributes", null, "exactly one of nonResourceAttributes or resourceAttributes must be specified")
        ]))
      }
      return Effect.succeed(answer({ allowed: true, reason: AllowedReason }))
    }
    case "SelfSubjectRulesReview":
      return Effect.succeed(answer({
        resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
        nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
        incomplete: false
      }))
    case "SelfSubjectReview":
      return Effect.succeed(answer({ userInfo: { username: user, groups: ["system:authenticated"] } }, false))
    default:
      return Effect.fail(ApiError.pathNotFound())
  }
}
