/**
 * Entry point of the bundle (bin/rdd.mjs, src/shim.ts, has already answered a
 * plain `rdd --version`; cli.ts answers it too, for `tsx src/main.ts`).
 *
 * Multicall is decided here, once: invoked through a symlink named `kubectl` or `yq`
 * (its basename cut at the first dot, so `kubectl.exe` too), rdd runs `rdd kubectl ...`
 * or `rdd yq ...`, and `--version` is then theirs.
 */
const invokedAs = (process.argv[1] ?? "").split("/").pop()?.split(".")[0]
const args = invokedAs === "kubectl" || invokedAs === "yq" ? [invokedAs, ...process.argv.slice(2)] : process.argv.slice(2)
const { run } = await import("./cli.js")
run(args)
