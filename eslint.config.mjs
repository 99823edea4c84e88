// Flat config: typescript-eslint's recommended rules over the program, components, scripts and tests.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "bin/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      // Dynamic providers must `require` pg inside their methods so that Pulumi's closure serializer ships them.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
);
