/**
 * Name rules of Kubernetes (k8s.io/apimachinery/pkg/util/validation): DNS-1123
 * labels and subdomains, qualified names (label and annotation keys), label
 * values, ConfigMap/Secret keys, and `generateName` suffixes. Each check returns
 * Go's list of messages (empty = valid) so callers can wrap them as field errors
 * and kubectl shows the same text the real server would.
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`
const qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
const labelValueFmt = `(${qualifiedNameFmt})?`
const configMapKeyFmt = "[-._a-zA-Z0-9]+"

const anchored = (fmt: string): RegExp => new RegExp(`^${fmt}$`)
const dns1123LabelRe = anchored(dns1123LabelFmt)
const dns1123SubdomainRe = anchored(dns1123SubdomainFmt)
const qualifiedNameRe = anchored(qualifiedNameFmt)
const labelValueRe = anchored(labelValueFmt)
const configMapKeyRe = anchored(configMapKeyFmt)

export const DNS1123LabelMaxLength = 63
export const DNS1123SubdomainMaxLength = 253
export const QualifiedNameMaxLength = 63
export const LabelValueMaxLength = 63

export const maxLenError = (n: number): string => `must be no more than ${n} characters`
export const emptyError = (): string => "must be non-empty"

/**
 * Go's `RegexError`: `<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')`
 * (the double space before "or" is Go's, and kubectl prints it).
 */
export const regexError = (msg: string, fmt: string, ...examples: ReadonlyArray<string>): string => {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${fmt}')`
}

const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"

/** Byte length, as Go's `len(string)` counts (UTF-8; no encoded copy made: every name of every write is measured). */
const byteLength = (s: string): number => Buffer.byteLength(s, "utf8")

export const isDNS1123Label = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (byteLength(value) > DNS1123LabelMaxLength) errs.push(maxLenError(DNS1123LabelMaxLength))
  if (!dns1123LabelRe.test(value)) {
    // a valid subdomain that is not a valid label can only be failing on dots
    if (dns1123SubdomainRe.test(value)) errs.push("must not contain dots")
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"))
  }
  return errs
}

export const isDNS1123Subdomain = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength))
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"))
  return errs
}

/** Label/annotation keys: `[prefix/]name`, prefix a DNS subdomain, name up to 63 characters. */
export const isQualifiedName = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  const parts = value.split("/")
  let name: string
  if (parts.length === 1) {
    name = parts[0] ?? ""
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? ""
    name = parts[1] ?? ""
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`)
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`))
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`
    ]
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`)
  else if (byteLength(name) > QualifiedNameMaxLength) errs.push(`name part ${maxLenError(QualifiedNameMaxLength)}`)
  if (!qualifiedNameRe.test(name)) {
    errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")}`)
  }
  return errs
}

export const isValidLabelValue = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (byteLength(value) > LabelValueMaxLength) errs.push(maxLenError(LabelValueMaxLength))
  if (!labelValueRe.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
  return errs
}

/** Keys of ConfigMap `data`/`binaryData` and Secret `data`/`stringData`. */
export const isConfigMapKey = (value: string): ReadonlyArray<string> => {
  const errs: Array<string> = []
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenError(DNS1123SubdomainMaxLength))
  if (!configMapKeyRe.test(value)) errs.push(regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"))
  if (value === ".") errs.push("must not be '.'")
  else if (value === "..") errs.push("must not be '..'")
  else if (value.startsWith("..")) errs.push("must not start with '..'")
  return errs
}

/** Names that end up in a URL path must not be `.`/`..` nor contain `/` or `%`. */
export const isValidPathSegmentName = (value: string): ReadonlyArray<string> => {
  if (value === "." || value === "..") return [`may not be '${value}'`]
  const errs: Array<string> = []
  for (const bad of ["/", "%"]) if (value.includes(bad)) errs.push(`may not contain '${bad}'`)
  return errs
}

/**
 * A name rule as the API uses it for `metadata.name`/`generateName`. With
 * `prefix` (a generateName), one trailing dash is ignored, as Go's
 * `maskTrailingDash` does, because the random suffix follows it.
 */
export type NameRule = (name: string, prefix: boolean) => ReadonlyArray<string>

const maskTrailingDash = (name: string): string =>
  name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name

export const nameIsDNSSubdomain: NameRule = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)
export const nameIsDNSLabel: NameRule = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name)
export const nameIsPathSegment: NameRule = (name, prefix) => {
  if (prefix) {
    const errs: Array<string> = []
    for (const bad of ["/", "%"]) if (name.includes(bad)) errs.push(`may not contain '${bad}'`)
    return errs
  }
  return isValidPathSegmentName(name)
}

// generateName: apiserver's SimpleNameGenerator (5 random characters from an
// alphabet without vowels, base truncated so the result is at most 63 long).
export const generatedSuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"
export const generatedSuffixLength = 5
const maxGeneratedNameLength = 63 - generatedSuffixLength

/** `base` + 5 random characters; `randomIndex(n)` returns an integer in [0, n). */
export const generateName = (base: string, randomIndex: (n: number) => number): string => {
  const head = base.length > maxGeneratedNameLength ? base.slice(0, maxGeneratedNameLength) : base
  let suffix = ""
  for (let i = 0; i < generatedSuffixLength; i++) {
    suffix += generatedSuffixAlphabet[randomIndex(generatedSuffixAlphabet.length)] ?? "x"
  }
  return head + suffix
}

/** `generateName` drawing from Effect's `Random` service (deterministic under test seeds). */
export const generateNameEffect = (base: string): Effect.Effect<string> =>
  Effect.gen(function*() {
    const idx: Array<number> = []
    for (let i = 0; i < generatedSuffixLength; i++) {
      idx.push(yield* Random.nextIntBetween(0, generatedSuffixAlphabet.length))
    }
    let i = 0
    return generateName(base, () => idx[i++] ?? 0)
  })

/**
 * The `metadata.name` rule of each resource rdd serves, as kube applies it:
 * namespaces are DNS labels; everything else (ConfigMaps, Secrets,
 * ServiceAccounts, Events, Leases, CRDs and every custom resource) a DNS
 * subdomain.
 */
export const nameRuleFor = (r: { readonly group: string; readonly resource: string }): NameRule =>
  r.group === "" && r.resource === "namespaces" ? nameIsDNSLabel : nameIsDNSSubdomain
