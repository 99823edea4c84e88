/**
 * The stack-file loader against the Pulumi CLI's own config rules. Each case mirrors a Go test of pulumi/pulumi (named
 * in the test title; pkg/workspace/config_project_test.go and config_test.go, sdk/go/common/workspace/project_test.go
 * and loaders_test.go) with the same input and the CLI's message, then both real stack files go through the rules.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDeclarations, loadStackConfig, PROJECT, StackConfigError, stackConfig } from "../components/config/stack-files";

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-files-"));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A throwaway project directory with Pulumi.yaml and Pulumi.dev.yaml. */
function project(projectYaml: string, stackYaml: string, name = "test"): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n${projectYaml}`);
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), stackYaml);
  return dir;
}

const values = (projectYaml: string, stackYaml: string) => loadStackConfig("dev", project(projectYaml, stackYaml)).values;
const fails = (projectYaml: string, stackYaml: string, message: string) =>
  assert.throws(() => loadStackConfig("dev", project(projectYaml, stackYaml)), (e: Error) => {
    assert.ok(e instanceof StackConfigError, `a StackConfigError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });

describe("stack files: the Pulumi CLI's config rules", () => {
  describe("merge (pkg/workspace/config_project_test.go)", () => {
    it("TestStackConfigIsInheritedFromProjectConfig: defaults fill what the stack does not set, as strings", () => {
      const v = values("config:\n  instanceSize: t3.micro\n  instanceCount: 20\n  protect: true\n", "config:\n  test:instanceSize: t4.large\n");
      assert.deepEqual(v, { "test:instanceSize": "t4.large", "test:instanceCount": "20", "test:protect": "true" });
    });

    it("TestNamespacedConfigValuesAreInheritedCorrectly: another namespace's shorthand is its value", () => {
      const v = values('config:\n  aws:region: us-west-1\n  pulumi:disable-default-providers: ["*"]\n', "config: {}\n");
      assert.deepEqual(v, { "aws:region": "us-west-1", "pulumi:disable-default-providers": '["*"]' });
    });

    it("TestLoadingStackConfigWithoutNamespacingTheProject: a bare stack key is the project's", () => {
      assert.deepEqual(values("", "config:\n  instanceSize: t4.large\n"), { "test:instanceSize": "t4.large" });
    });

    it("TestUntypedProjectConfigValuesAreNotValidated / ...DoNeedProjectDeclaration: undeclared keys pass through", () => {
      assert.deepEqual(values("config:\n  createVpc: true\n", "config:\n  instanceSize: 9999\n  aws:region: 42\n"), {
        "test:instanceSize": "9999", "aws:region": "42", "test:createVpc": "true",
      });
    });

    it("TestUntypedProjectConfigValuesWithOnlyDefaultOrOnlyValue", () => {
      const v = values("config:\n  instanceSize:\n    default: t3.micro\n  region:\n    value: us-west-1\n", "config:\n  aws:answer: 42\n");
      assert.deepEqual(v, { "aws:answer": "42", "test:instanceSize": "t3.micro", "test:region": "us-west-1" });
    });

    it("TestUntypedProjectConfigObjectValuesPassedDownToStack: objects as JSON text, keys sorted", () => {
      const v = values("config:\n  instanceSize:\n    value: { hello: world }\n  aws:config:\n    value: { region: us-west-1 }\n", "");
      assert.deepEqual(v, { "test:instanceSize": '{"hello":"world"}', "aws:config": '{"region":"us-west-1"}' });
      assert.equal(values("", "config:\n  tables: { b: 1, a: { d: x, c: [2, true] } }\n")["test:tables"], '{"a":{"c":[2,true],"d":"x"},"b":1}');
    });

    it("TestStackConfigErrorsWhenStackValueIsNotCorrectlyTyped", () => {
      fails(
        "config:\n  values:\n    type: array\n    items:\n      type: string\n    default: [value]\n",
        "config:\n  test:values: someValue\n",
        "validating stack config: Stack 'dev' with configuration key 'values' must be of type 'array<string>'",
      );
    });

    it("TestStackConfigIntegerTypeIsCorrectlyValidated", () => {
      const decl = "config:\n  importantNumber:\n    type: integer\n";
      assert.equal(values(decl, "config:\n  importantNumber: 20\n")["test:importantNumber"], "20");
      assert.equal(values(decl, 'config:\n  importantNumber: "20"\n')["test:importantNumber"], "20");
      fails(decl, "config:\n  importantNumber: hello\n", "validating stack config: Stack 'dev' with configuration key 'importantNumber' must be of type 'integer'");
      fails(decl, "config:\n  importantNumber: 5.5\n", "validating stack config: Stack 'dev' with configuration key 'importantNumber' must be of type 'integer'");
    });

    it("TestStackConfigErrorsWhenMissing{,Two,Multiple}StackValueForConfigTypeWithNoDefault", () => {
      const typed = (...keys: string[]) => `config:\n${keys.map((k) => `  ${k}:\n    type: string\n`).join("")}`;
      fails(typed("values"), "", "validating stack config: Stack 'dev' is missing configuration value 'values'");
      fails(typed("values", "another"), "", "validating stack config: Stack 'dev' is missing configuration values 'another' and 'values'");
      fails(typed("world", "values", "hello"), "", "validating stack config: Stack 'dev' is missing configuration values 'hello', 'values' and 'world'");
    });

    it("an untyped declaration with nothing in it is required too, and missing keys are reported before type errors", () => {
      fails("config:\n  plain: {}\n  n:\n    type: integer\n", "config:\n  n: x\n", "validating stack config: Stack 'dev' is missing configuration value 'plain'");
    });

    it("TestStackConfigDoesNotErrorWhenProjectHasNotDefinedConfig", () => {
      assert.deepEqual(values("", "config:\n  hello: 21\n  world: 42\n"), { "test:hello": "21", "test:world": "42" });
    });

    it("TestStackConfigSecretIsCorrectlyValidated: a secret key must be encrypted in the stack file", () => {
      const decl = "config:\n  n:\n    type: integer\n    secret: true\n";
      fails(decl, "config:\n  n: 20\n", "validating stack config: Stack 'dev' with configuration key 'n' must be encrypted as it's secret");
      const c = loadStackConfig("dev", project(decl, "config:\n  n:\n    secure: v1:abc\n"));
      assert.ok(c.secure.has("test:n"));
    });

    it("booleans: true/false (YAML or string) only", () => {
      const decl = "config:\n  b:\n    type: boolean\n";
      assert.equal(values(decl, "config:\n  b: false\n")["test:b"], "false");
      fails(decl, "config:\n  b: yes\n", "validating stack config: Stack 'dev' with configuration key 'b' must be of type 'boolean'");
    });

    it("strings: any stack scalar is accepted (cpus: 2 unquoted), a map is not", () => {
      const decl = 'config:\n  cpus:\n    type: string\n    default: "2"\n';
      assert.equal(values(decl, "config:\n  cpus: 2\n")["test:cpus"], "2");
      fails(decl, "config:\n  cpus: { a: 1 }\n", "validating stack config: Stack 'dev' with configuration key 'cpus' must be of type 'string'");
    });

    it("a key written without a value is \"\" and warned about (loaders_test.go TestEmptyValueWarning)", () => {
      const c = loadStackConfig("dev", project("", 'config:\n  test:a:\n  test:b: null\n  test:d: ""\n'));
      assert.deepEqual(c.values, { "test:a": "", "test:b": "", "test:d": "" });
      assert.match(c.warnings[0], /^No value for configuration keys "test:a" and "test:b"\. This is currently treated as an empty string/);
    });

    it("ns:config:name is the old spelling of ns:name; other three-part keys are refused", () => {
      assert.deepEqual(values("", "config:\n  aws:config:region: us-east-1\n"), { "aws:region": "us-east-1" });
      assert.throws(() => values("", "config:\n  a:b:c: x\n"), /could not parse a:b:c as a configuration key/);
    });
  });

  describe("project declarations (sdk/go/common/workspace/project_test.go)", () => {
    const loadFails = (projectYaml: string, message: string | RegExp) =>
      assert.throws(() => loadDeclarations(project(projectYaml, "")), (e: Error) => e instanceof StackConfigError && (typeof message === "string" ? e.message === message : message.test(e.message)));

    it("TestProjectConfigCannotHaveBothValueAndDefault", () => {
      loadFails("config:\n  instanceSize:\n    default: t3.micro\n    value: t4.large\n", "project config 'instanceSize' cannot have both a 'default' and 'value' attribute");
    });
    it("TestProjectConfigCannotBeTypedArrayWithoutItems", () => {
      loadFails("config:\n  values:\n    type: array\n", "The configuration key 'values' declares an array but does not specify the underlying type via the 'items' attribute");
    });
    it("TestNamespacedProjectConfigShouldNotBeExplicitlyTyped / ...ShouldNotBeProvideDefault / must provide a value", () => {
      loadFails("config:\n  aws:region:\n    type: string\n    value: us-west-1\n", "Configuration key 'aws:region' is not namespaced by the project and should not define a type");
      loadFails("config:\n  aws:region:\n    default: us-west-1\n", /^Configuration key 'aws:region' is not namespaced by the project and should not define a default value\. Did you mean/);
      loadFails("config:\n  aws:region:\n    description: where\n", "Configuration key 'aws:region' is namespaced and must provide an attribute 'value'");
    });
    it("TestProjectValidationFailsForIncorrectDefaultValueType (and succeeds for correct ones)", () => {
      loadFails("config:\n  instanceSize:\n    type: integer\n    default: hello\n", "The default value specified for configuration key 'instanceSize' is not of the expected type 'integer'");
      loadFails(
        "config:\n  nested:\n    type: array\n    items:\n      type: array\n      items:\n        type: string\n    default: [hello]\n",
        "The default value specified for configuration key 'nested' is not of the expected type 'array<array<string>>'",
      );
      loadFails('config:\n  cpus:\n    type: string\n    default: 2\n', "The default value specified for configuration key 'cpus' is not of the expected type 'string'");
      assert.doesNotThrow(() => loadDeclarations(project("config:\n  obj:\n    type: object\n    default: { hello: world }\n  n:\n    type: integer\n    default: 5\n", "")));
    });
    it("project.json: only the declared attributes and types", () => {
      loadFails("config:\n  k:\n    type: string\n    defualt: x\n", /#\/config\/k: additionalProperties 'defualt' not allowed/);
      loadFails("config:\n  k:\n    type: number\n", /#\/config\/k\/type: value must be one of/);
    });
  });

  describe("this project's files", () => {
    it("both stacks pass the CLI's rules, and every value reaches the program as a string", () => {
      for (const stack of ["dev", "prod"]) {
        const c = loadStackConfig(stack);
        assert.deepEqual(c.warnings, [], `${stack}: no empty values`);
        for (const [key, value] of Object.entries(c.values)) {
          assert.ok(key.startsWith(`${PROJECT}:`), `${stack}: ${key} is the project's`);
          assert.equal(typeof value, "string", `${stack}: ${key}`);
        }
      }
      assert.equal(stackConfig("dev")[`${PROJECT}:hostPort`], "15432");
      assert.equal(stackConfig("dev")[`${PROJECT}:dataHostPath`], "", "optional keys default to empty, not missing");
    });

    it("a stack file that breaks a rule fails the tools with the CLI's message", () => {
      const dir = tempDir();
      fs.copyFileSync(path.resolve(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  crypto-scout-db:maxConnections: many\n");
      assert.throws(
        () => loadStackConfig("dev", dir),
        { message: "validating stack config: Stack 'dev' with configuration key 'crypto-scout-db:maxConnections' must be of type 'integer'" },
      );
    });
  });
});
