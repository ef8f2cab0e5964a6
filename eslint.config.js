import js from "@eslint/js"
import tseslint from "typescript-eslint"

// Barrel imports of these packages drag unused modules (config-file parsers, undici)
// into the CLI bundle and slow every command's start-up: import by sub-path.
const barrels = [
  { name: "@effect/cli", message: "Import by sub-path, e.g. @effect/cli/Command (start-up time)." },
  { name: "@effect/platform-node", message: "Import by sub-path, e.g. @effect/platform-node/NodeRuntime (start-up time)." }
]
// In src, "effect" too: its barrel re-exports every module, and every module a lazily loaded
// command (the daemon, say) imports through it lands in the chunk that every command loads
// (measured: `rdd svc status` 2.94x -> 2.54x `node -e 0` once src imported by module path).
const srcBarrels = [
  ...barrels,
  { name: "effect", message: "Import by module path, e.g. `import * as Effect from \"effect/Effect\"` (start-up time)." }
]
const restrictImports = (patterns, paths = srcBarrels) => ["error", { paths, patterns }]

export default tseslint.config(
  { ignores: ["bin/**", "node_modules/**", "dist/**", ".cache/**", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // rdd writes and strips ANSI escapes (TTY log lines, progress line) on purpose.
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-imports": restrictImports([], barrels),
      "no-restricted-syntax": ["error", {
        selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
        message: "Only src/main.ts decides the exit code (SPEC 1.1)."
      }]
    }
  },
  { files: ["src/main.ts", "scripts/**", "test/**", "bench/**"], rules: { "no-restricted-syntax": "off" } },
  { files: ["src/**"], rules: { "no-restricted-imports": restrictImports([]) } },
  { files: ["src/domain/**"], rules: { "no-restricted-imports": restrictImports(["node:*", "../services/*", "../layers/*", "../commands/*", "../controlplane/*"]) } },
  // Which implementation runs is decided by the wiring (src/layers/CliLive.ts, DaemonLive.ts):
  // commands ask for services and never pick one themselves.
  { files: ["src/commands/**"], rules: { "no-restricted-imports": restrictImports(["node:*", "**/layers/**", "**/controlplane/**"]) } },
  // The environment is configuration: read once by the wiring (src/layers/DaemonConfig.ts).
  {
    files: ["src/commands/**", "src/services/**", "src/controlplane/**"],
    rules: {
      "no-restricted-syntax": ["error", {
        selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
        message: "Only src/main.ts decides the exit code (SPEC 1.1)."
      }, {
        selector: "MemberExpression[object.name='process'][property.name='env']",
        message: "Read the environment in the wiring's configuration (src/layers/DaemonConfig.ts) or take it from a service."
      }]
    }
  }
)
