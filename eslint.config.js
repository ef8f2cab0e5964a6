import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["bin/**", "node_modules/**", "dist/**", ".cache/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // rdd writes and strips ANSI escapes (TTY log lines, progress line) on purpose.
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-syntax": ["error", {
        selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
        message: "Only src/main.ts decides the exit code (SPEC 1.1)."
      }]
    }
  },
  { files: ["src/main.ts", "scripts/**", "test/**", "bench/**"], rules: { "no-restricted-syntax": "off" } },
  { files: ["src/domain/**"], rules: { "no-restricted-imports": ["error", { patterns: ["node:*", "../services/*", "../layers/*", "../commands/*", "../controlplane/*"] }] } },
  { files: ["src/commands/**"], rules: { "no-restricted-imports": ["error", { patterns: ["node:*"] }] } }
)
