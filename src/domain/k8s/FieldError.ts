/**
 * Field-level validation errors in the exact text Kubernetes prints
 * (k8s.io/apimachinery/pkg/util/validation/field): `<field>: <Type>: <value>: <detail>`.
 * kubectl rebuilds its "is invalid" message from these causes, so the wording of
 * the error types and the quoting of bad values must match the Go originals.
 */
import { isArray, isObject, type Json } from "./Json.js"

export type FieldErrorType =
  | "FieldValueNotFound"
  | "FieldValueRequired"
  | "FieldValueDuplicate"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueTypeInvalid"
  | "InternalError"

export interface FieldError {
  readonly type: FieldErrorType
  /** dotted path with `[i]`/`[key]` subscripts, e.g. `spec.containers[0].name` */
  readonly field: string
  /** the offending value; absent when the error type does not print one */
  readonly badValue?: Json
  readonly detail: string
}

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: "Not found",
  FieldValueRequired: "Required value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueForbidden: "Forbidden",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueTypeInvalid: "Invalid value",
  InternalError: "Internal error"
}

/** Go's `%q` for the strings that occur in practice (JSON escaping, but `\x` for control bytes). */
export const goQuote = (s: string): string => {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0
    if (ch === '"') out += '\\"'
    else if (ch === "\\") out += "\\\\"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\t") out += "\\t"
    else if (ch === "\r") out += "\\r"
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`
    else out += ch
  }
  return out + '"'
}

/** Go's `%v` of a float64/int64: shortest form, two-digit exponents (`1e-07`). */
export const goNumber = (n: number): string =>
  String(n).replace(/e([+-])(\d)$/, "e$10$2")

/** How a bad value is printed: strings quoted, scalars bare, null as `null`, composites as JSON. */
export const formatValue = (v: Json): string => {
  if (v === null) return "null"
  if (typeof v === "string") return goQuote(v)
  if (typeof v === "number") return goNumber(v)
  if (typeof v === "boolean") return String(v)
  if (isArray(v) || isObject(v)) return JSON.stringify(v)
  return String(v)
}

/** The message part after the field name (`ErrorBody` in Go). */
export const errorBody = (e: FieldError): string => {
  const omitsValue =
    e.type === "FieldValueRequired" || e.type === "FieldValueForbidden" || e.type === "FieldValueTooLong" ||
    e.type === "InternalError" || e.badValue === undefined
  let s = omitsValue ? typeText[e.type] : `${typeText[e.type]}: ${formatValue(e.badValue ?? null)}`
  if (e.detail.length > 0) s += `: ${e.detail}`
  return s
}

/**
 * `<field>: <body>`, the form used in aggregated messages. Errors on the
 * object itself carry the field `<nil>` (Go prints a nil field path that way).
 */
export const toString = (e: FieldError): string => `${e.field}: ${errorBody(e)}`

/** The field path of the object itself, as Go prints a nil `*field.Path`. */
export const rootPath = "<nil>"

/**
 * Go's `errors.NewAggregate(...).Error()` over field errors: one message as is,
 * several as `[a, b]`, duplicates dropped.
 */
export const aggregate = (errors: ReadonlyArray<FieldError>): string => {
  const msgs = [...new Set(errors.map(toString))]
  if (msgs.length === 1) return msgs[0] ?? ""
  return `[${msgs.join(", ")}]`
}

// Constructors, named as in k8s.io/apimachinery/pkg/util/validation/field.
export const required = (field: string, detail = ""): FieldError => ({ type: "FieldValueRequired", field, detail })
export const invalid = (field: string, value: Json, detail = ""): FieldError => ({
  type: "FieldValueInvalid", field, badValue: value, detail
})
export const typeInvalid = (field: string, value: Json, detail = ""): FieldError => ({
  type: "FieldValueTypeInvalid", field, badValue: value, detail
})
export const notFound = (field: string, value: Json): FieldError => ({ type: "FieldValueNotFound", field, badValue: value, detail: "" })
export const duplicate = (field: string, value: Json): FieldError => ({ type: "FieldValueDuplicate", field, badValue: value, detail: "" })
export const forbidden = (field: string, detail: string): FieldError => ({ type: "FieldValueForbidden", field, detail })
export const internal = (field: string, detail: string): FieldError => ({ type: "InternalError", field, detail })
export const notSupported = (field: string, value: Json, supported: ReadonlyArray<string>): FieldError => ({
  type: "FieldValueNotSupported",
  field,
  badValue: value,
  detail: supported.length === 0 ? "" : `supported values: ${supported.map(goQuote).join(", ")}`
})
export const tooLong = (field: string, value: Json, maxLength: number): FieldError => ({
  type: "FieldValueTooLong",
  field,
  badValue: value,
  detail: maxLength >= 0 ? `may not be more than ${maxLength} bytes` : "value is too long"
})
export const tooMany = (field: string, actual: number, max: number): FieldError => ({
  type: "FieldValueTooMany",
  field,
  badValue: actual,
  detail: max >= 0 ? `must have at most ${max} items` : "has too many items"
})

/** Appends a child to a field path: `spec` + `x` → `spec.x`; the root path is "". */
export const child = (path: string, name: string): string => (path === "" ? name : `${path}.${name}`)
/** Appends a list index or map key: `spec.items` + 0 → `spec.items[0]`. */
export const index = (path: string, i: number | string): string => `${path}[${i}]`
