/**
 * The one error type of the API server: a Kubernetes `Status` (built by
 * src/domain/k8s/Status.ts, in kube's wording) with its HTTP code. Every failure
 * a handler can produce is one of these, so the HTTP layer sends `status` as is
 * and the in-process client maps its reason to KubeClient's typed errors.
 */
import * as Data from "effect/Data"
import * as Status from "../../domain/k8s/Status.js"
import type { StorageError } from "../storage/Store.js"

export class ApiError extends Data.TaggedError("ApiError")<{ readonly status: Status.Status }> {
  override get message(): string {
    return this.status.message
  }
  get code(): number {
    return this.status.code
  }
  get reason(): Status.StatusReason {
    return this.status.reason
  }
}

export const of = (status: Status.Status): ApiError => new ApiError({ status })

export const badRequest = (message: string) => of(Status.badRequest(message))
export const internal = (message: string) => of(Status.internalError(message))
export const gone = (message: string) => of(Status.expired(message))
export const tooLarge = () => of(Status.requestEntityTooLarge("limit is 3145728"))
export const pathNotFound = () => of(Status.statusFor("NotFound", "the server could not find the requested resource"))
export const methodNotAllowed = (message: string) => of(Status.statusFor("MethodNotAllowed", message))
export const unsupportedMediaType = (accepted: ReadonlyArray<string>) => of(Status.unsupportedMediaType(accepted))

/** A storage failure as the API shows it: 500 naming SQLite's cause, or 410 for a compacted history. */
export const fromStorage = (e: StorageError): ApiError =>
  e._tag === "HistoryCompacted"
    ? of(Status.tooOldResourceVersion(String(e.requested), String(e.compacted)))
    : internal(e.message)
