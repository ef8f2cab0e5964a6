/**
 * The command examples of docs/*.md, so that test/docs can run them and they
 * cannot rot. The convention (also written down in docs/README.md):
 * - a fenced block tagged ```sh holds commands that are RUN, one per line (a line
 *   ending in `\` continues on the next); lines starting with `#` are comments;
 * - a trailing comment `# exit N` states the expected exit code (default 0);
 * - the blocks of one page run in order in ONE bash session (variables carry over),
 *   in a temp HOME and working directory, with the page's own instance
 *   (RDD_INSTANCE) and `rdd` on PATH;
 * - output and other text go in ```console, ```text, ```json or ```yaml blocks,
 *   which are never run; ```bash / ```shell / untagged blocks that hold rdd
 *   commands, and ```console blocks with a `$ rdd` prompt, are refused, so an rdd
 *   example cannot slip past the test (other tools, e.g. `$ npm run bench`, may
 *   be shown in ```console blocks).
 */

export interface Example {
  /** 1-based line of the command's first line in the page */
  readonly line: number
  readonly command: string
  readonly expectedExit: number
}

export interface Page {
  readonly examples: ReadonlyArray<Example>
  /** convention violations, each `line: what` */
  readonly problems: ReadonlyArray<string>
}

const fence = /^(\s*)(```+|~~~+)\s*([^\s`]*)(.*)$/

/** `# exit N` after the command (the `#` must start a word, so `$#` is not one). */
const expectedExit = (command: string): number => {
  const m = /(?:^|\s)#\s*exit\s+(\d+)\b[^\n]*$/.exec(command)
  return m === null ? 0 : Number(m[1])
}

const looksLikeRdd = (body: ReadonlyArray<string>): boolean => body.some((l) => /^\s*(\$\s+)?rdd(\s|$)/.test(l))

export const parsePage = (markdown: string): Page => {
  const lines = markdown.split("\n")
  const examples: Array<Example> = []
  const problems: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]!)
    if (open === null) continue
    const marker = open[2]!
    const lang = open[3]!.toLowerCase()
    const start = i
    const body: Array<string> = []
    for (i++; i < lines.length && !lines[i]!.trim().startsWith(marker); i++) body.push(lines[i]!)
    if (i >= lines.length) problems.push(`${start + 1}: unclosed code block`)
    if (lang !== "sh") {
      if (["bash", "shell", "zsh", ""].includes(lang) && looksLikeRdd(body)) {
        problems.push(`${start + 1}: rdd commands in a \`\`\`${lang} block: tag it \`\`\`sh (run by test/docs) or \`\`\`console (output)`)
      }
      if (lang === "console" && body.some((l) => /^\s*\$\s+rdd(\s|$)/.test(l))) {
        problems.push(`${start + 1}: a \`\`\`console block with a $ rdd prompt: put rdd commands in a \`\`\`sh block so they are run`)
      }
      continue
    }
    let pending: { line: number; text: Array<string> } | undefined
    body.forEach((raw, k) => {
      const lineNo = start + 2 + k
      if (pending === undefined) {
        if (raw.trim() === "" || raw.trim().startsWith("#")) return
        if (/^\s*\$\s/.test(raw)) problems.push(`${lineNo}: no "$ " prompts in \`\`\`sh blocks (they are run as written)`)
        pending = { line: lineNo, text: [raw] }
      } else {
        pending.text.push(raw)
      }
      if (!raw.endsWith("\\")) {
        const command = pending.text.join("\n")
        examples.push({ line: pending.line, command, expectedExit: expectedExit(command) })
        pending = undefined
      }
    })
    if (pending !== undefined) problems.push(`${pending.line}: the last command of the block ends with "\\"`)
  }
  return { examples, problems }
}

/**
 * One bash script that runs every example in order and records, per example, its
 * exit code (on fd 3) and its output (in `<out>/<line>.out|.err`). Commands run
 * in the session itself (no subshell), so `export`, `cd` and `eval` carry over.
 */
export const script = (examples: ReadonlyArray<Example>): string =>
  [
    "exec 3>>\"$RDD_DOCS_RC\"",
    ...examples.flatMap((e) => [
      `# docs line ${e.line}`,
      `{ ${e.command}`,
      `} >"$RDD_DOCS_OUT/${e.line}.out" 2>"$RDD_DOCS_OUT/${e.line}.err" </dev/null`,
      `printf '%s %s\\n' ${e.line} $? >&3`
    ])
  ].join("\n") + "\n"
