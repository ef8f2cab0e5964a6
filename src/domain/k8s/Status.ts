/**
 * metav1.Status error bodies. Every API failure is one of these; kubectl prints
 * `Error from server (<reason>): <message>` from them, and for Invalid rebuilds
 * the message from `details.kind`, `details.name` and `details.causes`, so the
 * codes, reasons and message forms follow k8s.io/apimachinery/pkg/api/errors.
 */
import * as FieldError from "./FieldError.js"

export type StatusReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "BadRequest"
  | "Forbidden"
  | "Unauthorized"
  | "MethodNotAllowed"
  | "Gone"
  | "Expired"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "NotAcceptable"
  | "InternalError"
  | "ServiceUnavailable"
  | "Timeout"
  | "TooManyRequests"

export const codeFor: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504
}

export interface StatusCause {
  readonly reason?: string
  readonly message?: string
  readonly field?: string
}

export interface StatusDetails {
  readonly name?: string
  readonly group?: string
  /** the resource plural for most reasons; the Kind for Invalid */
  readonly kind?: string
  readonly uid?: string
  readonly causes?: ReadonlyArray<StatusCause>
  readonly retryAfterSeconds?: number
}

export interface Status {
  readonly kind: "Status"
  readonly apiVersion: "v1"
  readonly metadata: Record<string, never>
  readonly status: "Failure" | "Success"
  readonly message: string
  readonly reason: StatusReason
  readonly details?: StatusDetails
  readonly code: number
}

/** Drops empty strings and empty cause lists, as Go's `omitempty` does. */
const compactDetails = (d: StatusDetails): StatusDetails | undefined => {
  const out: { -readonly [K in keyof StatusDetails]: StatusDetails[K] } = {}
  if (d.name) out.name = d.name
  if (d.group) out.group = d.group
  if (d.kind) out.kind = d.kind
  if (d.uid) out.uid = d.uid
  if (d.causes && d.causes.length > 0) out.causes = d.causes
  if (d.retryAfterSeconds !== undefined && d.retryAfterSeconds > 0) out.retryAfterSeconds = d.retryAfterSeconds
  return Object.keys(out).length === 0 ? undefined : out
}

/** A Failure Status with the HTTP code that belongs to `reason`. */
export const statusFor = (reason: StatusReason, message: string, details?: StatusDetails): Status => {
  const d = details === undefined ? undefined : compactDetails(details)
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(d === undefined ? {} : { details: d }),
    code: codeFor[reason]
  }
}

/** A resource collection as errors name it: `configmaps`, or `widgets.example.com` for a group. */
export interface GroupResource {
  readonly group: string
  readonly resource: string
}

/** A kind as Invalid errors name it: `ConfigMap`, or `Widget.example.com`. */
export interface GroupKind {
  readonly group: string
  readonly kind: string
}

export const qualifiedResource = (gr: GroupResource): string => (gr.group === "" ? gr.resource : `${gr.resource}.${gr.group}`)
export const qualifiedKind = (gk: GroupKind): string => (gk.group === "" ? gk.kind : `${gk.kind}.${gk.group}`)

const resourceDetails = (gr: GroupResource, name: string): StatusDetails => ({ name, group: gr.group, kind: gr.resource })

/** `configmaps "x" not found` */
export const notFound = (gr: GroupResource, name: string): Status =>
  statusFor("NotFound", `${qualifiedResource(gr)} ${FieldError.goQuote(name)} not found`, resourceDetails(gr, name))

/** `configmaps "x" already exists` */
export const alreadyExists = (gr: GroupResource, name: string): Status =>
  statusFor("AlreadyExists", `${qualifiedResource(gr)} ${FieldError.goQuote(name)} already exists`, resourceDetails(gr, name))

export const modifiedDetail =
  "the object has been modified; please apply your changes to the latest version and try again"

/** `Operation cannot be fulfilled on configmaps "x": <detail>` (default: the stale resourceVersion text). */
export const conflict = (gr: GroupResource, name: string, detail: string = modifiedDetail): Status =>
  statusFor(
    "Conflict",
    `Operation cannot be fulfilled on ${qualifiedResource(gr)} ${FieldError.goQuote(name)}: ${detail}`,
    resourceDetails(gr, name)
  )

/**
 * 422 Invalid: `ConfigMap "f1" is invalid: <aggregate>`; `details.kind` is the Kind
 * (kubectl prints `The <kind> "<name>" is invalid:` plus one line per cause).
 */
export const invalid = (gk: GroupKind, name: string, errors: ReadonlyArray<FieldError.FieldError>): Status => {
  const head = `${qualifiedKind(gk)} ${FieldError.goQuote(name)} is invalid`
  return statusFor("Invalid", errors.length === 0 ? head : `${head}: ${FieldError.aggregate(errors)}`, {
    name,
    group: gk.group,
    kind: gk.kind,
    causes: errors.map((e) => ({ reason: e.type, message: FieldError.errorBody(e), field: e.field }))
  })
}

export const badRequest = (message: string): Status => statusFor("BadRequest", message)

/** `configmaps "seed" is forbidden: <why>` (or `configmaps is forbidden: ...` without a name). */
export const forbidden = (gr: GroupResource, name: string, why: string): Status => {
  const message =
    gr.resource === "" ? `forbidden: ${why}`
    : name === "" ? `${qualifiedResource(gr)} is forbidden: ${why}`
    : `${qualifiedResource(gr)} ${FieldError.goQuote(name)} is forbidden: ${why}`
  return statusFor("Forbidden", message, resourceDetails(gr, name))
}

/** An admission denial, printed verbatim by kubectl after `Error from server (Forbidden): `. */
export const admissionDenied = (webhook: string, reason: string): Status =>
  statusFor("Forbidden", `admission webhook ${FieldError.goQuote(webhook)} denied the request: ${reason}`)

export const unauthorized = (message = "Unauthorized"): Status => statusFor("Unauthorized", message)

/** `create is not supported on resources of kind "events"`-style 405. */
export const methodNotSupported = (gr: GroupResource, action: string): Status =>
  statusFor("MethodNotAllowed", `${action} is not supported on resources of kind ${FieldError.goQuote(qualifiedResource(gr))}`, {
    group: gr.group,
    kind: gr.resource
  })

/** The watch answer for a resourceVersion older than the retained history. */
export const expired = (message: string): Status => statusFor("Expired", message)
export const tooOldResourceVersion = (requested: string, oldest: string): Status =>
  expired(`too old resource version: ${requested} (${oldest})`)

export const gone = (message: string): Status => statusFor("Gone", message)

export const requestEntityTooLarge = (message: string): Status =>
  statusFor("RequestEntityTooLarge", `Request entity too large: ${message}`)

/**
 * 415 for a Content-Type the endpoint does not take (e.g. strategic merge on a
 * custom resource); like the real server it carries no details.
 */
export const unsupportedMediaType = (accepted: ReadonlyArray<string>): Status =>
  statusFor(
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`
  )

/** The patch types a custom resource accepts (no strategic merge). */
export const customResourcePatchTypes: ReadonlyArray<string> = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/apply-patch+yaml"
]

export const internalError = (message: string): Status =>
  statusFor("InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] })

export const serviceUnavailable = (message: string): Status => statusFor("ServiceUnavailable", message)

/** A Success Status, as DELETE answers for some resources. */
export const success = (details?: StatusDetails): Omit<Status, "reason" | "message" | "status" | "code"> & {
  readonly status: "Success"
  readonly code: 200
} => {
  const d = details === undefined ? undefined : compactDetails(details)
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", ...(d === undefined ? {} : { details: d }), code: 200 }
}
