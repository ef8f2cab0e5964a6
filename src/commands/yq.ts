/**
 * `rdd yq ARGS...` and rdd under the name `yq` (reference go-rdd-cli-surface
 * 5.4; hidden unless developer mode). No npm library implements yq's
 * expression language, so rdd evaluates a documented subset itself
 * (domain/yq/, on the `yaml` package): every word after `yq` is yq's, errors
 * are yq's `Error: ...` line and exit 1. See docs/user-guide.md, "rdd yq".
 */
import * as Command from "@effect/cli/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { ChildExit } from "../domain/Errors.js"
import * as YqCommand from "../domain/yq/Command.js"
import { evaluate, EvalError } from "../domain/yq/Evaluate.js"
import { parse, ParseError } from "../domain/yq/Expression.js"
import { readStdin, writeStderr, writeStdout } from "./stdio.js"
import * as Args from "@effect/cli/Args"

class YqFailure {
  constructor(readonly message: string) {}
}

const fail = (message: string) => Effect.fail(new YqFailure(message))

const readInput = (file: string) =>
  file === "-"
    ? readStdin
    : Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(file)).pipe(
      Effect.catchAll((e) => fail(`open ${file}: ${e._tag === "SystemError" && e.reason === "NotFound" ? "no such file or directory" : e.message}`))
    )

const program = (request: YqCommand.Eval) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    let expression = request.words[0] ?? "."
    let files = request.words.slice(1)
    // `yq file.yaml` prints the file, as yq does when its only word names a file
    if (!request.nullInput && request.words.length === 1 && (yield* fs.stat(request.words[0]!).pipe(Effect.map((i) => i.type === "File"), Effect.orElseSucceed(() => false)))) {
      expression = "."
      files = [request.words[0]!]
    }
    const ast = yield* Effect.try({ try: () => parse(expression), catch: (e) => new YqFailure(`bad expression: ${(e as ParseError).message}`) })
    const inputs: Array<ReadonlyArray<unknown>> = []
    if (request.nullInput) inputs.push([null])
    else {
      for (const file of files.length === 0 ? ["-"] : files) {
        const parsed = YqCommand.documents(yield* readInput(file), file)
        if ("error" in parsed) return yield* fail(parsed.error)
        inputs.push(parsed.values)
      }
    }
    const results = yield* Effect.try({
      try: () => inputs.flat().map((doc) => evaluate(ast, doc)),
      catch: (e) => (e instanceof EvalError ? new YqFailure(e.message) : new YqFailure(String(e)))
    })
    const printed = results.filter((r) => r.length > 0).map((r) => r.map((v) => YqCommand.format(v, request.output, request.indent)).join(""))
    yield* writeStdout(printed.join(request.output === "yaml" ? "---\n" : ""))
    const last = results.flat().at(-1)
    if (request.exitStatus && (last === undefined || last === null || last === false)) return yield* new ChildExit({ code: 1, message: "yq: the last output is null or false" })
  })

const words = Args.text({ name: "ARGS" }).pipe(Args.repeated, Args.withDescription("yq's own arguments (rdd yq --help lists them)"))

export const yq = Command.make("yq", { args: words }, ({ args }) =>
  Effect.gen(function*() {
    const request = YqCommand.parseArgs(args)
    if (request._tag === "Version") return yield* writeStdout(`${YqCommand.VersionLine}\n`)
    if (request._tag === "Help") return yield* writeStdout(`${YqCommand.Help}\n`)
    const run = request._tag === "Error" ? fail(request.message) : program(request)
    return yield* run.pipe(
      Effect.catchIf((e): e is YqFailure => e instanceof YqFailure, (e) =>
        Effect.zipRight(writeStderr(`Error: ${e.message}\n`), Effect.fail(new ChildExit({ code: 1, message: e.message }))))
    )
  })).pipe(Command.withDescription("Query and edit YAML or JSON with yq expressions (a subset of mikefarah/yq v4)"))
