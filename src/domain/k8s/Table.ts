/**
 * Server-side Tables (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`):
 * kubectl prints the cells verbatim, so the server renders them. Columns come
 * from a CRD's additionalPrinterColumns (Name first; Name + Age when it has
 * none) or from the built-in printers of the core kinds rdd serves (ConfigMap
 * NAME DATA AGE, etc.). Ages use kube's HumanDuration (`5m`, `2d3h`). Each row
 * carries the object as PartialObjectMetadata (the default), the full object,
 * or nothing, per `includeObject`.
 */
import * as Either from "effect/Either"
import { isArray, isObject, type Json, type JsonObject } from "./Json.js"
import * as JsonPath from "./JsonPath.js"

export interface ColumnDefinition {
  readonly name: string
  readonly type: string
  readonly format: string
  readonly description: string
  readonly priority: number
}

/** A column and how to compute its cell from an object at a given time. */
export interface Column {
  readonly definition: ColumnDefinition
  readonly cell: (obj: JsonObject, nowMs: number) => Json
}

export type IncludeObject = "None" | "Metadata" | "Object"

export interface TableRow {
  readonly cells: ReadonlyArray<Json>
  readonly object?: JsonObject
}

export interface Table {
  readonly kind: "Table"
  readonly apiVersion: "meta.k8s.io/v1"
  readonly metadata: { readonly resourceVersion?: string; readonly continue?: string }
  readonly columnDefinitions: ReadonlyArray<ColumnDefinition>
  readonly rows: ReadonlyArray<TableRow>
}

// ---- time ------------------------------------------------------------------------------------

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export const humanDuration = (ms: number): string => {
  const seconds = Math.trunc(ms / 1000)
  if (seconds < -1) return "<invalid>"
  if (seconds < 0) return "0s"
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.trunc(seconds / 60)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 180) return `${minutes}m`
  const hours = Math.trunc(minutes / 60)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365
    const y = Math.trunc(hours / 24 / 365)
    return dy === 0 ? `${y}y` : `${y}y${dy}d`
  }
  return `${Math.trunc(hours / 24 / 365)}y`
}

/** The age cell of a timestamp: `<unknown>` when absent, `<invalid>` when unparsable. */
export const age = (timestamp: Json | undefined, nowMs: number): string => {
  if (typeof timestamp !== "string" || timestamp === "") return "<unknown>"
  const t = Date.parse(timestamp)
  return Number.isNaN(t) ? "<invalid>" : humanDuration(nowMs - t)
}

// ---- columns ---------------------------------------------------------------------------------

const nameDescription =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
const creationDescription =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

const def = (name: string, type: string, description = "", format = "", priority = 0): ColumnDefinition => ({
  name, type, format, description, priority
})

const meta = (o: JsonObject): JsonObject => (isObject(o["metadata"]) ? o["metadata"] : {})
const field = (o: Json | undefined, ...path: ReadonlyArray<string>): Json | undefined => {
  let cur = o
  for (const k of path) cur = isObject(cur) && Object.prototype.hasOwnProperty.call(cur, k) ? cur[k] : undefined
  return cur
}
const count = (v: Json | undefined): number => (isArray(v) ? v.length : isObject(v) ? Object.keys(v).length : 0)

export const nameColumn: Column = { definition: def("Name", "string", nameDescription, "name"), cell: (o) => meta(o)["name"] ?? "" }
export const ageColumn: Column = {
  definition: def("Age", "date", creationDescription),
  cell: (o, now) => age(meta(o)["creationTimestamp"], now)
}

export interface PrinterColumn {
  readonly name: string
  readonly type: string
  readonly jsonPath: string
  readonly format?: string
  readonly description?: string
  readonly priority?: number
}

/** A cell as apiextensions renders a printer column value of a given type. */
export const cellFor = (type: string, value: Json | undefined, nowMs: number): Json => {
  if (value === undefined || value === null) return null
  switch (type) {
    case "integer":
      return typeof value === "number" ? Math.trunc(value) : null
    case "number":
      return typeof value === "number" ? value : null
    case "boolean":
      return typeof value === "boolean" ? value : null
    case "string":
      return JsonPath.printValue(value)
    case "date":
      return typeof value === "string" ? age(value, nowMs) : null
  }
  return null
}

/** Columns of a CRD version: Name, then its printer columns; or Name and Age without any. */
export const crdColumns = (printerColumns: ReadonlyArray<PrinterColumn> | undefined): ReadonlyArray<Column> => {
  if (printerColumns === undefined || printerColumns.length === 0) return [nameColumn, ageColumn]
  return [
    nameColumn,
    ...printerColumns.map((c): Column => {
      const path = JsonPath.parse(c.jsonPath)
      return {
        definition: def(c.name, c.type, c.description ?? "", c.format ?? "", c.priority ?? 0),
        cell: (o, now) => {
          const results = Either.isRight(path) ? JsonPath.evaluate(path.right, o) : []
          // like kube: only the first result is shown
          return cellFor(c.type, results[0], now)
        }
      }
    })
  ]
}

/** Reads `additionalPrinterColumns` from a CRD version object. */
export const printerColumnsOf = (version: Json | undefined): ReadonlyArray<PrinterColumn> => {
  const cols = field(version, "additionalPrinterColumns")
  if (!isArray(cols)) return []
  return cols.filter(isObject).map((c) => ({
    name: String(c["name"] ?? ""),
    type: String(c["type"] ?? "string"),
    jsonPath: String(c["jsonPath"] ?? ""),
    ...(typeof c["format"] === "string" ? { format: c["format"] } : {}),
    ...(typeof c["description"] === "string" ? { description: c["description"] } : {}),
    ...(typeof c["priority"] === "number" ? { priority: c["priority"] } : {})
  }))
}

const eventLastSeen = (o: JsonObject, now: number): string => {
  const series = field(o, "series", "lastObservedTime")
  if (typeof series === "string") return age(series, now)
  const last = field(o, "lastTimestamp") ?? field(o, "eventTime")
  const c = field(o, "count")
  if (typeof c === "number" && c > 1) return `${age(last, now)} (x${c} over ${age(field(o, "firstTimestamp"), now)})`
  return age(last, now)
}

/** The in-tree printers of the core kinds rdd serves, keyed `<group>/<Kind>`. */
export const builtInColumns: Readonly<Record<string, ReadonlyArray<Column>>> = {
  "/ConfigMap": [nameColumn, { definition: def("Data", "integer"), cell: (o) => count(o["data"]) + count(o["binaryData"]) }, ageColumn],
  "/Secret": [
    nameColumn,
    { definition: def("Type", "string"), cell: (o) => (typeof o["type"] === "string" ? o["type"] : "") },
    { definition: def("Data", "integer"), cell: (o) => count(o["data"]) },
    ageColumn
  ],
  "/Namespace": [nameColumn, { definition: def("Status", "string"), cell: (o) => field(o, "status", "phase") ?? "" }, ageColumn],
  "/ServiceAccount": [nameColumn, { definition: def("Secrets", "integer"), cell: (o) => count(o["secrets"]) }, ageColumn],
  "/Event": [
    { definition: def("Last Seen", "string"), cell: eventLastSeen },
    { definition: def("Type", "string"), cell: (o) => field(o, "type") ?? "" },
    { definition: def("Reason", "string"), cell: (o) => field(o, "reason") ?? "" },
    {
      definition: def("Object", "string"),
      cell: (o) => `${String(field(o, "involvedObject", "kind") ?? "").toLowerCase()}/${String(field(o, "involvedObject", "name") ?? "")}`
    },
    { definition: def("Subobject", "string", "", "", 1), cell: (o) => field(o, "involvedObject", "fieldPath") ?? "" },
    {
      definition: def("Source", "string", "", "", 1),
      cell: (o) => {
        const c = field(o, "source", "component")
        const h = field(o, "source", "host")
        return typeof c === "string" && c !== "" ? (typeof h === "string" && h !== "" ? `${c}, ${h}` : c) : String(field(o, "reportingComponent") ?? "")
      }
    },
    { definition: def("Message", "string"), cell: (o) => field(o, "message") ?? "" },
    { definition: def("First Seen", "string", "", "", 1), cell: (o, now) => age(field(o, "firstTimestamp") ?? field(o, "eventTime"), now) },
    { definition: def("Count", "string", "", "", 1), cell: (o) => String(field(o, "count") ?? field(o, "series", "count") ?? 1) },
    { definition: def("Name", "string", "", "", 1), cell: (o) => meta(o)["name"] ?? "" }
  ],
  "admissionregistration.k8s.io/MutatingWebhookConfiguration": [
    nameColumn, { definition: def("Webhooks", "integer"), cell: (o) => count(o["webhooks"]) }, ageColumn
  ],
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration": [
    nameColumn, { definition: def("Webhooks", "integer"), cell: (o) => count(o["webhooks"]) }, ageColumn
  ],
  "coordination.k8s.io/Lease": [nameColumn, { definition: def("Holder", "string"), cell: (o) => field(o, "spec", "holderIdentity") ?? "" }, ageColumn],
  // apiextensions uses the default table convertor: the creation time, not an age
  "apiextensions.k8s.io/CustomResourceDefinition": [
    nameColumn,
    { definition: def("Created At", "date", creationDescription), cell: (o) => meta(o)["creationTimestamp"] ?? null }
  ]
}

/** Columns for a kind: built-in printer, else the CRD's printer columns (or Name + Age). */
export const columnsFor = (group: string, kind: string, printerColumns?: ReadonlyArray<PrinterColumn>): ReadonlyArray<Column> =>
  builtInColumns[`${group}/${kind}`] ?? crdColumns(printerColumns)

/** `includeObject` query parameter; absent means Metadata. */
export const parseIncludeObject = (v: string | undefined): Either.Either<IncludeObject, string> =>
  v === undefined || v === "" ? Either.right("Metadata")
  : v === "None" || v === "Metadata" || v === "Object" ? Either.right(v)
  : Either.left(`includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "None", "Metadata", "Object"`)

/** The object a row carries: PartialObjectMetadata by default. */
export const rowObject = (o: JsonObject, include: IncludeObject): JsonObject | undefined =>
  include === "None" ? undefined
  : include === "Object" ? o
  : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: meta(o) }

export interface TableOptions {
  readonly nowMs: number
  readonly includeObject?: IncludeObject
  readonly resourceVersion?: string
  readonly continue?: string
  /** watch events after the first may leave the definitions out; kubectl keeps the first ones */
  readonly omitColumnDefinitions?: boolean
}

/** Renders objects (a list, a single get, or one watch event) as a Table. */
export const toTable = (columns: ReadonlyArray<Column>, objects: ReadonlyArray<JsonObject>, opts: TableOptions): Table => {
  const include = opts.includeObject ?? "Metadata"
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: {
      ...(opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion }),
      ...(opts.continue === undefined || opts.continue === "" ? {} : { continue: opts.continue })
    },
    columnDefinitions: opts.omitColumnDefinitions === true ? [] : columns.map((c) => c.definition),
    rows: objects.map((o) => {
      const obj = rowObject(o, include)
      const cells = columns.map((c) => c.cell(o, opts.nowMs))
      return obj === undefined ? { cells } : { cells, object: obj }
    })
  }
}
