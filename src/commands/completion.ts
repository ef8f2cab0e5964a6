/**
 * `rdd completion bash|zsh|fish`: the shell completion script, as cobra-based tools
 * (kubectl, the Go rdd) spell it. @effect/cli writes the scripts from the command
 * tree; this command only needs the whole tree, which it is handed lazily so that
 * other commands never load every module.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const Shells = ["bash", "zsh", "fish"] as const
type Shell = typeof Shells[number]

// (not Args.choice: its error lists the choices without naming the word it refused)
const shellArg = Args.text({ name: "SHELL" }).pipe(
  Args.withDescription("bash, zsh or fish"),
  Args.mapEffect((s) =>
    (Shells as ReadonlyArray<string>).includes(s)
      ? Effect.succeed(s as Shell)
      : Effect.fail(HelpDoc.p(`unknown shell ${JSON.stringify(s)}: expected bash, zsh or fish`)))
)

// Any command tree: only its shape is read.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const completion = (wholeTree: () => Promise<Command.Command<"rdd", any, any, any>>) =>
  Command.make(
    "completion",
    { shell: shellArg },
    ({ shell }) =>
      Effect.flatMap(Effect.promise(wholeTree), (tree) =>
        Effect.flatMap(
          shell === "bash"
            ? Command.getBashCompletions(tree, "rdd")
            : shell === "zsh"
            ? Command.getZshCompletions(tree, "rdd")
            : Command.getFishCompletions(tree, "rdd"),
          (lines) => Console.log(lines.join("\n"))
        ))
  ).pipe(Command.withDescription(`Print the shell completion script (bash, zsh or fish; see the user guide for the install line)`))
