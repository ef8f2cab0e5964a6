/** rdd yq's expression subset (domain/yq): parsing, evaluation, assignment, the command line and output. */
import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as YqCommand from "../../src/domain/yq/Command.js"
import { evaluate, setPath } from "../../src/domain/yq/Evaluate.js"
import { parse } from "../../src/domain/yq/Expression.js"

const run = (expression: string, input: unknown): ReadonlyArray<unknown> => evaluate(parse(expression), input)
const doc = { a: { b: [1, 2, 3], c: "hello" }, items: [{ name: "x", v: 1 }, { name: "y", v: 2 }], "a-b": true }

/** JSON-like values (what a YAML document parses into) */
const json = FastCheck.letrec((tie) => ({
  value: FastCheck.oneof({ depthSize: "small" }, FastCheck.constant(null), FastCheck.boolean(), FastCheck.integer(), FastCheck.string(), tie("array"), tie("object")),
  array: FastCheck.array(tie("value"), { maxLength: 4 }),
  object: FastCheck.dictionary(FastCheck.string({ minLength: 1, maxLength: 5 }).filter((k) => k !== "__proto__"), tie("value"), { maxKeys: 4 })
})).value

describe("yq expressions", () => {
  it("paths: . .a.b .a[0] negative index .[\"k\"] .\"k\" missing keys give null", () => {
    assert.deepStrictEqual(run(".", doc), [doc])
    assert.deepStrictEqual(run(".a.c", doc), ["hello"])
    assert.deepStrictEqual(run(".a.b[0]", doc), [1])
    assert.deepStrictEqual(run(".a.b.[1]", doc), [2])
    assert.deepStrictEqual(run(".a.b[-1]", doc), [3])
    assert.deepStrictEqual(run(`.["a-b"]`, doc), [true])
    assert.deepStrictEqual(run(`."a-b"`, doc), [true])
    assert.deepStrictEqual(run(".nope.deeper", doc), [null])
  })

  it(".[] iterates sequences and maps; | , select == keys length", () => {
    assert.deepStrictEqual(run(".a.b[]", doc), [1, 2, 3])
    assert.deepStrictEqual(run(".a[]", doc), [[1, 2, 3], "hello"])
    assert.deepStrictEqual(run(`.items[] | select(.name == "y") | .v`, doc), [2])
    assert.deepStrictEqual(run(".items[] | select(.v > 1 and .name != \"x\") | .name", doc), ["y"])
    assert.deepStrictEqual(run(".a.c, .a.b[0]", doc), ["hello", 1])
    assert.deepStrictEqual(run(".a | keys", doc), [["b", "c"]])
    assert.deepStrictEqual(run(".a.b | length", doc), [3])
    assert.deepStrictEqual(run(".a.c | length", doc), [5])
    assert.deepStrictEqual(run("[.items[].v] | add", doc), [3])
    assert.deepStrictEqual(run(".missing // \"default\"", doc), ["default"])
    assert.deepStrictEqual(run("{name: .a.c, n: (.a.b | length)}", doc), [{ name: "hello", n: 3 }])
    assert.deepStrictEqual(run(".items | map(.v)", doc), [[1, 2]])
  })

  it("assignment: = and |= and += return a new document and leave the input alone", () => {
    const before = JSON.stringify(doc)
    assert.deepStrictEqual(run(`.a.c = "bye"`, doc), [{ ...doc, a: { ...doc.a, c: "bye" } }])
    assert.deepStrictEqual(run(".a.b[1] |= . + 10", doc).map((d) => (d as typeof doc).a.b), [[1, 12, 3]])
    assert.deepStrictEqual(run(".items[] |= .v", doc).map((d) => (d as Record<string, unknown>)["items"]), [[1, 2]])
    assert.deepStrictEqual(run(`(.items[] | select(.name == "x") | .v) = 9`, doc).map((d) => (d as typeof doc).items), [[{ name: "x", v: 9 }, { name: "y", v: 2 }]])
    assert.deepStrictEqual(run(".a.b += [4]", doc).map((d) => (d as typeof doc).a.b), [[1, 2, 3, 4]])
    // = takes its value from the whole input, |= from each place
    assert.deepStrictEqual(run(".x = .a.c", doc).map((d) => (d as Record<string, unknown>)["x"]), ["hello"])
    assert.deepStrictEqual(run(".foo = 42", null), [{ foo: 42 }])
    assert.deepStrictEqual(run(".l[2] = 1", null), [{ l: [null, null, 1] }])
    assert.strictEqual(JSON.stringify(doc), before)
  })

  it("errors name the problem: a parse position, a bad index, an unknown function, a bad path", () => {
    assert.throws(() => parse(".a["), /expected an expression at position 4/)
    assert.throws(() => parse(".a b"), /unexpected token at position 4/)
    assert.throws(() => run(".a.c[0]", doc), /cannot index !!str with a number/)
    assert.throws(() => run("frobnicate", doc), /unknown function "frobnicate"/)
    assert.throws(() => run("1 = 2", doc), /invalid path expression/)
  })

  it("property: .[] of a sequence gives its elements; keys and length agree; = then reading the path gives the value", () => {
    FastCheck.assert(FastCheck.property(FastCheck.array(json, { maxLength: 6 }), (xs) => {
      assert.deepStrictEqual(run(".[]", xs), xs)
      assert.deepStrictEqual(run("length", xs), [xs.length])
      assert.deepStrictEqual(run("[.[]] == .", xs), [true])
    }))
    FastCheck.assert(FastCheck.property(FastCheck.dictionary(FastCheck.string({ minLength: 1, maxLength: 5 }).filter((k) => k !== "__proto__"), json, { maxKeys: 5 }), (o) => {
      assert.deepStrictEqual(run("keys", o), [Object.keys(o)])
      assert.deepStrictEqual(run("keys | length", o), run("length", o))
    }))
    FastCheck.assert(FastCheck.property(json, FastCheck.array(FastCheck.oneof(FastCheck.stringMatching(/^[a-z]{1,4}$/), FastCheck.nat(3)), { minLength: 1, maxLength: 4 }), FastCheck.integer({ min: 0 }), json, (root, path, n, value) => {
      const expr = path.map((k) => (typeof k === "number" ? `.[${k}]` : `.${k}`)).join("")
      let set: ReadonlyArray<unknown>
      try {
        set = run(`${expr} = ${n}`, root)
      } catch {
        return // the path crosses a scalar: an error, as yq gives
      }
      assert.deepStrictEqual(run(expr, set[0]), [n])
      assert.deepStrictEqual(run(expr, setPath(root, path, value)), [value])
      // an update of the same place with the identity changes nothing
      assert.deepStrictEqual(run(`${expr} |= .`, set[0]), [set[0]])
    }))
  })
})

describe("yq command line", () => {
  it("eval is the default command; flags in every spelling", () => {
    assert.deepStrictEqual(YqCommand.parseArgs(["-n", ".foo=42"]), { _tag: "Eval", nullInput: true, output: "yaml", indent: 2, exitStatus: false, words: [".foo=42"] })
    assert.deepInclude(YqCommand.parseArgs(["eval", "-o", "json", "-I4", ".", "f.yaml"]), { output: "json", indent: 4, words: [".", "f.yaml"] })
    assert.deepInclude(YqCommand.parseArgs(["e", "--output-format=j", "--indent", "0", "--null-input"]), { output: "json", indent: 0, nullInput: true })
    assert.deepInclude(YqCommand.parseArgs(["-oj", "-I=3", "--", "-weird.yaml"]), { output: "json", indent: 3, words: ["-weird.yaml"] })
    assert.deepStrictEqual(YqCommand.parseArgs(["--version"]), { _tag: "Version" })
    assert.deepStrictEqual(YqCommand.parseArgs(["-V"]), { _tag: "Version" })
    assert.deepStrictEqual(YqCommand.parseArgs(["-h"]), { _tag: "Help" })
    assert.deepStrictEqual(YqCommand.parseArgs(["--frob"]), { _tag: "Error", message: "unknown flag: --frob" })
    assert.deepInclude(YqCommand.parseArgs(["-o", "xml"]), { _tag: "Error" })
    assert.deepInclude(YqCommand.parseArgs(["-I", "x"]), { _tag: "Error" })
    assert.deepInclude(YqCommand.parseArgs(["eval-all", "."]), { _tag: "Error" })
  })

  it("output: YAML scalars bare, maps in block style at the indent; JSON indented, 0 on one line", () => {
    assert.strictEqual(YqCommand.format("a: b", "yaml", 2), "a: b\n")
    assert.strictEqual(YqCommand.format(null, "yaml", 2), "null\n")
    assert.strictEqual(YqCommand.format({ a: { b: [1] } }, "yaml", 4), "a:\n    b:\n        - 1\n")
    assert.strictEqual(YqCommand.format("a: b", "json", 2), "\"a: b\"\n")
    assert.strictEqual(YqCommand.format({ a: [1, 2] }, "json", 0), "{\"a\":[1,2]}\n")
    assert.strictEqual(YqCommand.format({ a: 1 }, "json", 2), "{\n  \"a\": 1\n}\n")
  })

  it("documents: every document of a stream; an empty stream none; invalid YAML is a bad file", () => {
    assert.deepStrictEqual(YqCommand.documents("a: 1\n---\na: 2\n", "f"), { values: [{ a: 1 }, { a: 2 }] })
    assert.deepStrictEqual(YqCommand.documents("", "f"), { values: [] })
    assert.match((YqCommand.documents("a: [\n", "f.yaml") as { error: string }).error, /^bad file 'f\.yaml': /)
  })
})
