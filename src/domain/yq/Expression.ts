/**
 * The subset of yq's (mikefarah/yq v4) expression language that `rdd yq`
 * implements, parsed into a small tree. Grammar, loosest binding first (jq's
 * precedence, which yq follows):
 *   pipe    a | b
 *   comma   a, b
 *   alt     a // b
 *   assign  path = v, path |= f, path += v
 *   or, and
 *   compare == != < <= > >=
 *   add     + -
 *   postfix .key ."key" [n] ["key"] [] ?   (also .[n], .[])
 *   primary . .key "string" 42 true false null (e) [e] {k: e} name(args;...)
 * Anything else is a parse error naming the position.
 */
export type Ast =
  | { readonly _tag: "Identity" }
  | { readonly _tag: "Field"; readonly target: Ast; readonly name: string }
  | { readonly _tag: "Index"; readonly target: Ast; readonly index: Ast }
  | { readonly _tag: "Iterate"; readonly target: Ast }
  | { readonly _tag: "Optional"; readonly target: Ast }
  | { readonly _tag: "Pipe"; readonly left: Ast; readonly right: Ast }
  | { readonly _tag: "Comma"; readonly left: Ast; readonly right: Ast }
  | { readonly _tag: "Literal"; readonly value: unknown }
  | { readonly _tag: "Collect"; readonly body: Ast | undefined }
  | { readonly _tag: "Object"; readonly entries: ReadonlyArray<readonly [Ast, Ast]> }
  | { readonly _tag: "Call"; readonly name: string; readonly args: ReadonlyArray<Ast> }
  | { readonly _tag: "Binary"; readonly op: BinaryOp; readonly left: Ast; readonly right: Ast }
  | { readonly _tag: "Assign"; readonly op: "=" | "|=" | "+="; readonly path: Ast; readonly value: Ast }

export type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "and" | "or" | "//"

export class ParseError extends Error {}

type Token =
  | { readonly kind: "punct"; readonly text: string; readonly at: number }
  | { readonly kind: "ident"; readonly text: string; readonly at: number }
  | { readonly kind: "string"; readonly text: string; readonly at: number }
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly at: number }
  | { readonly kind: "end"; readonly text: ""; readonly at: number }

const Puncts = ["|=", "+=", "//", "==", "!=", "<=", ">=", "|", ",", "=", "<", ">", "+", "-", ".", "[", "]", "(", ")", "{", "}", ":", ";", "?"]

const tokenize = (src: string): ReadonlyArray<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++
      continue
    }
    if (c === "\"") {
      let j = i + 1
      let text = ""
      for (; j < src.length && src[j] !== "\""; j++) {
        if (src[j] === "\\") {
          const e = src[++j]
          text += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : (e ?? "")
        } else text += src[j]
      }
      if (j >= src.length) throw new ParseError(`unterminated string starting at position ${i + 1}`)
      out.push({ kind: "string", text, at: i })
      i = j + 1
      continue
    }
    const num = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(src.slice(i))
    if (num !== null) {
      out.push({ kind: "number", value: Number(num[0]), text: num[0], at: i })
      i += num[0].length
      continue
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))
    if (ident !== null) {
      out.push({ kind: "ident", text: ident[0], at: i })
      i += ident[0].length
      continue
    }
    const p = Puncts.find((q) => src.startsWith(q, i))
    if (p === undefined) throw new ParseError(`unexpected ${JSON.stringify(c)} at position ${i + 1}`)
    out.push({ kind: "punct", text: p, at: i })
    i += p.length
  }
  out.push({ kind: "end", text: "", at: src.length })
  return out
}

const identity: Ast = { _tag: "Identity" }

export const parse = (src: string): Ast => {
  const tokens = tokenize(src)
  let pos = 0
  const peek = (): Token => tokens[pos]!
  const next = (): Token => tokens[pos++]!
  const isPunct = (text: string, t: Token = peek()) => t.kind === "punct" && t.text === text
  const isWord = (text: string, t: Token = peek()) => t.kind === "ident" && t.text === text
  const fail = (what: string): never => {
    const t = peek()
    throw new ParseError(`${what} at position ${t.at + 1}${t.kind === "end" ? " (end of expression)" : ` (found ${JSON.stringify(t.text)})`}`)
  }
  const expect = (text: string) => (isPunct(text) ? next() : fail(`expected ${JSON.stringify(text)}`))

  const pipe = (): Ast => {
    const left = comma()
    return isPunct("|") ? (next(), { _tag: "Pipe", left, right: pipe() }) : left
  }
  const comma = (): Ast => {
    let left = alt()
    while (isPunct(",")) {
      next()
      left = { _tag: "Comma", left, right: alt() }
    }
    return left
  }
  const alt = (): Ast => {
    let left = assign()
    while (isPunct("//")) {
      next()
      left = { _tag: "Binary", op: "//", left, right: assign() }
    }
    return left
  }
  const assign = (): Ast => {
    const left = or()
    for (const op of ["=", "|=", "+="] as const) {
      if (isPunct(op)) {
        next()
        return { _tag: "Assign", op, path: left, value: alt() }
      }
    }
    return left
  }
  const or = (): Ast => {
    let left = and()
    while (isWord("or")) {
      next()
      left = { _tag: "Binary", op: "or", left, right: and() }
    }
    return left
  }
  const and = (): Ast => {
    let left = compare()
    while (isWord("and")) {
      next()
      left = { _tag: "Binary", op: "and", left, right: compare() }
    }
    return left
  }
  const compare = (): Ast => {
    const left = add()
    for (const op of ["==", "!=", "<=", ">=", "<", ">"] as const) {
      if (isPunct(op)) {
        next()
        return { _tag: "Binary", op, left, right: add() }
      }
    }
    return left
  }
  const add = (): Ast => {
    let left = postfix(primary())
    while (isPunct("+") || isPunct("-")) {
      const op = next().text as "+" | "-"
      left = { _tag: "Binary", op, left, right: postfix(primary()) }
    }
    return left
  }
  /** `[...]` after a target: `[]` iterates, `[e]` indexes. */
  const bracket = (target: Ast): Ast => {
    expect("[")
    if (isPunct("]")) {
      next()
      return { _tag: "Iterate", target }
    }
    const index = pipe()
    expect("]")
    return { _tag: "Index", target, index }
  }
  /** After a `.`: a key, a quoted key or a bracket; none of them: the `.` alone. */
  const afterDot = (target: Ast): Ast | undefined => {
    const t = peek()
    if (t.kind === "ident" || t.kind === "string") {
      next()
      return { _tag: "Field", target, name: t.text }
    }
    if (isPunct("[")) return bracket(target)
    return undefined
  }
  const postfix = (target: Ast): Ast => {
    for (;;) {
      if (isPunct(".")) {
        next()
        target = afterDot(target) ?? fail("expected a key or [ after \".\"")
      } else if (isPunct("[")) target = bracket(target)
      else if (isPunct("?")) {
        next()
        target = { _tag: "Optional", target }
      } else return target
    }
  }
  const primary = (): Ast => {
    const t = peek()
    if (isPunct(".")) {
      next()
      return afterDot(identity) ?? identity
    }
    if (t.kind === "number") return (next(), { _tag: "Literal", value: t.value })
    if (t.kind === "string") return (next(), { _tag: "Literal", value: t.text })
    if (isPunct("-") && tokens[pos + 1]?.kind === "number") {
      next()
      const n = next() as Extract<Token, { kind: "number" }>
      return { _tag: "Literal", value: -n.value }
    }
    if (isPunct("(")) {
      next()
      const body = pipe()
      expect(")")
      return body
    }
    if (isPunct("[")) {
      next()
      if (isPunct("]")) return (next(), { _tag: "Collect", body: undefined })
      const body = pipe()
      expect("]")
      return { _tag: "Collect", body }
    }
    if (isPunct("{")) {
      next()
      const entries: Array<readonly [Ast, Ast]> = []
      while (!isPunct("}")) {
        const k = peek()
        let key: Ast
        if (k.kind === "ident" || k.kind === "string") key = (next(), { _tag: "Literal", value: k.text })
        else if (isPunct("(")) key = primary()
        else return fail("expected an object key")
        expect(":")
        entries.push([key, alt()])
        if (!isPunct(",")) break
        next()
      }
      expect("}")
      return { _tag: "Object", entries }
    }
    if (t.kind === "ident") {
      next()
      if (t.text === "true" || t.text === "false") return { _tag: "Literal", value: t.text === "true" }
      if (t.text === "null") return { _tag: "Literal", value: null }
      const args: Array<Ast> = []
      if (isPunct("(")) {
        next()
        args.push(pipe())
        while (isPunct(";")) {
          next()
          args.push(pipe())
        }
        expect(")")
      }
      return { _tag: "Call", name: t.text, args }
    }
    return fail("expected an expression")
  }

  if (peek().kind === "end") return identity
  const ast = pipe()
  if (peek().kind !== "end") fail("unexpected token")
  return ast
}
