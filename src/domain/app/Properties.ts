/**
 * `rdd set PROPERTY=VALUE...`: the arguments, checked against the App CRD's
 * `spec` schema as the server serves it (never a hard-coded list), turned into
 * a typed spec fragment; plus the "Available properties" table of `--help`.
 * `namespace` is not settable (immutable once the App exists), so it is removed
 * from the schema before anything else sees it. Error texts follow the Go tool.
 */
import * as Either from "effect/Either"

/** The parts of an OpenAPI v3 schema node that `rdd set` reads. */
export interface SchemaNode {
  readonly type?: string
  readonly description?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly properties?: Readonly<Record<string, SchemaNode>>
  readonly required?: ReadonlyArray<string>
}

export type Value = boolean | number | string
export type SpecFragment = { [key: string]: Value | SpecFragment }

const NotSettable = ["namespace"]

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** The settable part of a spec schema, read leniently from the CRD's JSON. */
export const settableSchema = (spec: unknown): SchemaNode => {
  const read = (u: unknown): SchemaNode => {
    if (!isRecord(u)) return {}
    const props = isRecord(u["properties"]) ? u["properties"] : undefined
    return {
      ...(typeof u["type"] === "string" ? { type: u["type"] } : {}),
      ...(typeof u["description"] === "string" ? { description: u["description"] } : {}),
      ...(Array.isArray(u["enum"]) ? { enum: u["enum"] } : {}),
      ...(Array.isArray(u["required"]) ? { required: u["required"].filter((r): r is string => typeof r === "string") } : {}),
      ...(props === undefined ? {} : {
        properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, read(v)]))
      })
    }
  }
  const node = read(spec)
  if (node.properties === undefined) return node
  return {
    ...node,
    properties: Object.fromEntries(Object.entries(node.properties).filter(([k]) => !NotSettable.includes(k)))
  }
}

/** The `spec` schema of the storage version of an installed CRD object, if any. */
export const specSchemaOfCrd = (crd: unknown): unknown => {
  const versions = isRecord(crd) && isRecord(crd["spec"]) ? crd["spec"]["versions"] : undefined
  if (!Array.isArray(versions)) return undefined
  const version = versions.find((v) => isRecord(v) && v["storage"] === true) ?? versions[0]
  const schema = isRecord(version) && isRecord(version["schema"]) ? version["schema"]["openAPIV3Schema"] : undefined
  return isRecord(schema) && isRecord(schema["properties"]) ? schema["properties"]["spec"] : undefined
}

const isObjectNode = (n: SchemaNode): boolean => n.type === "object" || n.properties !== undefined

const childNames = (n: SchemaNode): ReadonlyArray<string> => Object.keys(n.properties ?? {}).sort()

/** Leaf paths under a node, sorted, relative to it. */
export const leafPaths = (n: SchemaNode): ReadonlyArray<string> =>
  childNames(n).flatMap((name) => {
    const child = n.properties?.[name] ?? {}
    return isObjectNode(child) && childNames(child).length > 0 ? leafPaths(child).map((p) => `${name}.${p}`) : [name]
  }).sort()

export interface Assignment {
  readonly path: string
  readonly raw: string
}

/**
 * Splits `PROPERTY=VALUE` arguments (at the first `=`); a later duplicate wins.
 * Left: the usage error text.
 */
export const parseArgs = (args: ReadonlyArray<string>): Either.Either<ReadonlyArray<Assignment>, string> => {
  const byPath = new Map<string, string>()
  for (const arg of args) {
    const eq = arg.indexOf("=")
    if (eq < 0) return Either.left(`invalid argument ${JSON.stringify(arg)}: expected PROPERTY=VALUE format`)
    const path = arg.slice(0, eq)
    if (path === "") return Either.left(`invalid argument ${JSON.stringify(arg)}: property name must not be empty`)
    byPath.delete(path)
    byPath.set(path, arg.slice(eq + 1))
  }
  return Either.right([...byPath].map(([path, raw]) => ({ path, raw })))
}

// Go's strconv.ParseBool
const goTrue = ["1", "t", "T", "TRUE", "true", "True"]
const goFalse = ["0", "f", "F", "FALSE", "false", "False"]

const convert = (node: SchemaNode, path: string, raw: string): Either.Either<Value, string> => {
  const invalid = (reason: string) => Either.left(`invalid value ${JSON.stringify(raw)} for ${JSON.stringify(path)}: ${reason}`)
  if (node.enum !== undefined && !node.enum.some((e) => String(e) === raw)) {
    return invalid(`valid values: ${node.enum.map(String).join(", ")}`)
  }
  switch (node.type) {
    case "boolean":
      if (goTrue.includes(raw)) return Either.right(true)
      if (goFalse.includes(raw)) return Either.right(false)
      return invalid(`expected boolean; use "true" or "false"`)
    case "integer":
      return /^[+-]?[0-9]+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Either.right(Number(raw)) : invalid("expected integer")
    default:
      return Either.right(raw)
  }
}

/** Resolves one dotted path against the schema and converts its value. */
export const check = (schema: SchemaNode, assignment: Assignment): Either.Either<Value, string> => {
  const { path, raw } = assignment
  const segments = path.split(".")
  let node = schema
  const walked: Array<string> = []
  for (const seg of segments) {
    const here = walked.join(".")
    if (walked.length > 0 && !isObjectNode(node)) {
      return Either.left(`${path}: ${JSON.stringify(here)} is not an object and has no sub-properties`)
    }
    const next = node.properties?.[seg]
    if (next === undefined) {
      return Either.left(
        walked.length === 0
          ? `${path}: unknown property ${JSON.stringify(seg)}; valid properties: ${leafPaths(schema).join(", ")}`
          : `${path}: unknown property ${JSON.stringify(seg)} under ${JSON.stringify(here)}; valid properties: ${leafPaths(node).join(", ")}`
      )
    }
    walked.push(seg)
    node = next
  }
  if (isObjectNode(node)) {
    const first = childNames(node)[0]
    return Either.left(
      first === undefined
        ? `${path}: ${JSON.stringify(path)} is an object and has no settable fields`
        : `${path}: ${JSON.stringify(path)} is an object; set its fields, e.g. ${JSON.stringify(`${path}.${first}`)}`
    )
  }
  return convert(node, path, raw)
}

const setIn = (target: SpecFragment, segments: ReadonlyArray<string>, value: Value): void => {
  const [head, ...rest] = segments
  if (head === undefined) return
  if (rest.length === 0) {
    target[head] = value
    return
  }
  const existing = target[head]
  const child: SpecFragment = typeof existing === "object" ? existing : {}
  target[head] = child
  setIn(child, rest, value)
}

/** Checks every assignment and builds the nested spec fragment with real JSON types. */
export const toSpec = (schema: SchemaNode, assignments: ReadonlyArray<Assignment>): Either.Either<SpecFragment, string> => {
  const spec: SpecFragment = {}
  for (const a of assignments) {
    const value = check(schema, a)
    if (Either.isLeft(value)) return Either.left(value.left)
    setIn(spec, a.path.split("."), value.right)
  }
  return Either.right(spec)
}

const zeroOf = (node: SchemaNode): Value | SpecFragment => {
  if (node.enum !== undefined && node.enum.length > 0) return String(node.enum[0])
  switch (node.type) {
    case "boolean":
      return false
    case "integer":
    case "number":
      return 0
    case "object":
      return withRequired(node, {})
    default:
      return ""
  }
}

/**
 * For a create: zero values for every REQUIRED field missing at the top level and
 * inside each nested object the user set (`kubernetes.version=x` → `kubernetes.enabled: false`).
 */
export const withRequired = (node: SchemaNode, spec: SpecFragment): SpecFragment => {
  const out: SpecFragment = { ...spec }
  for (const name of node.required ?? []) {
    const child = node.properties?.[name]
    if (child !== undefined && out[name] === undefined) out[name] = zeroOf(child)
  }
  for (const [name, value] of Object.entries(out)) {
    const child = node.properties?.[name]
    if (child !== undefined && typeof value === "object") out[name] = withRequired(child, value)
  }
  return out
}

const typeHint = (n: SchemaNode): string =>
  n.enum !== undefined && n.enum.length > 0 ? `(${n.enum.map(String).join("|")})` : `(${n.type ?? "string"})`

const firstSentence = (description: string | undefined): string => {
  if (description === undefined) return ""
  const text = description.replace(/\s+/g, " ").trim()
  const m = /^(.*?[.!?])(\s|$)/.exec(text)
  const s = m?.[1] ?? text
  return s.charAt(0).toUpperCase() + s.slice(1)
}

const wrap = (text: string, width: number): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === "" ? word : `${line} ${word}`
  }
  if (line !== "") lines.push(line)
  return lines
}

interface Row {
  readonly path: string
  readonly hint: string
  readonly text: string
}

const rows = (node: SchemaNode, prefix: string): ReadonlyArray<Row> =>
  childNames(node).flatMap((name) => {
    const child = node.properties?.[name] ?? {}
    const path = prefix === "" ? name : `${prefix}.${name}`
    const row: Row = { path, hint: typeHint(child), text: firstSentence(child.description) }
    return [row, ...(isObjectNode(child) ? rows(child, path) : [])]
  })

/**
 * The "Available properties:" table: one row per property (objects before their
 * fields, sorted per level), its type hint and the first sentence of its
 * description, wrapped to `width` columns (at least 20 columns of text).
 */
export const helpTable = (schema: SchemaNode, width = 80): string => {
  const all = rows(schema, "")
  const pathWidth = Math.max(0, ...all.map((r) => r.path.length))
  const hintWidth = Math.max(0, ...all.map((r) => r.hint.length))
  const indent = 2 + pathWidth + 2 + hintWidth + 2
  const textWidth = Math.max(20, width - indent)
  const lines = ["Available properties:"]
  for (const r of all) {
    const head = `  ${r.path.padEnd(pathWidth)}  ${r.hint.padEnd(hintWidth)}`
    const text = wrap(r.text, textWidth)
    lines.push(text.length === 0 ? head.trimEnd() : `${head}  ${text[0]}`)
    for (const more of text.slice(1)) lines.push(`${" ".repeat(indent)}${more}`)
  }
  return lines.join("\n")
}
