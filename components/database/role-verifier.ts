/**
 * A role's password as the server gets it: the SCRAM-SHA-256 verifier (scram.ts), computed from the generated password
 * and a generated salt kept in state. Shared by every role the stack creates or adopts (writer, reader, monitoring,
 * and any role added later), so each hands PostgreSQL a verifier and never the password.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SCRAM_SALT_BYTES, scramSha256Verifier } from "./scram";

/**
 * The secret SCRAM-SHA-256 verifier of `password`, with its salt from a `random.RandomBytes` child named
 * `${name}-password-salt` (16 bytes, secret in state). The salt is drawn once and kept, so the verifier is the same on
 * every run and an unchanged stack converges; a new password gives a new verifier with the same salt.
 *
 * @param parent the component that owns the role (the salt is its child)
 * @param name the role resource's name, e.g. `${stageName}-writer`
 * @param password the role's generated password (a secret Output)
 * @example
 * const verifier = roleVerifier(this, `${name}-replication`, replicationPassword.result);
 * new postgresql.Role(`${name}-replication`, { name: "crypto_scout_replication", login: true, replication: true, password: verifier }, { parent: this, provider });
 */
export function roleVerifier(parent: pulumi.Resource, name: string, password: pulumi.Input<string>): pulumi.Output<string> {
  const salt = new random.RandomBytes(`${name}-password-salt`, { length: SCRAM_SALT_BYTES }, { parent });
  return pulumi.secret(pulumi.all([password, salt.base64]).apply(([p, s]) => scramSha256Verifier(p, s)));
}
