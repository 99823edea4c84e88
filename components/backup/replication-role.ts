import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { REPLICATION_ROLE } from "./pitr";
import { roleVerifier } from "../database/role-verifier";

export interface ReplicationRoleArgs {
  /**
   * The postgresql provider connected as the superuser (the database stage's).
   * @example schemaStage.provider
   */
  readonly provider: postgresql.Provider;
  /**
   * The role's name.
   * @default "crypto_scout_replication"
   */
  readonly name?: string;
}

/**
 * The login role the PITR sidecar streams WAL and takes base backups as: REPLICATION, nothing else (no superuser, no
 * database rights beyond PUBLIC's). Its password is generated and kept secret in state; the server gets only its
 * SCRAM-SHA-256 verifier (components/database/scram.ts; the salt is a generated secret kept in state, so the verifier,
 * and the stack, stay the same from one `up` to the next). The postgresql provider reads the stored verifier back and
 * compares it as text when the configured password is a verifier (cyrilgdn/terraform-provider-postgresql ff936b9,
 * postgresql/resource_postgresql_role.go readRolePassword 647-660), so an unchanged stack converges.
 *
 * @example
 * const replication = new ReplicationRole("pitr-replication", { provider: schemaStage.provider });
 * // replication.password reaches the sidecar as a file
 */
export class ReplicationRole extends pulumi.ComponentResource {
  public readonly role: postgresql.Role;
  public readonly roleName: pulumi.Output<string>;
  /** The password in clear, secret: for the sidecar's password file only. */
  public readonly password: pulumi.Output<string>;

  constructor(name: string, args: ReplicationRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crypto-scout:backup:ReplicationRole", name, {}, opts);
    const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
    const verifier = roleVerifier(this, name, password.result);
    this.role = new postgresql.Role(
      `${name}-role`,
      {
        name: args.name ?? REPLICATION_ROLE,
        login: true,
        replication: true,
        password: verifier,
        superuser: false,
        createDatabase: false,
        createRole: false,
        bypassRowLevelSecurity: false,
        inherit: false,
      },
      { parent: this, provider: args.provider },
    );
    this.roleName = this.role.name;
    this.password = pulumi.secret(password.result);
    this.registerOutputs({ roleName: this.roleName });
  }
}
