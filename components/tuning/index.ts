/** PostgreSQL tuning from a stack's resources: pure rules (pgtune.ts) and capacity checks (checks.ts). No Pulumi. */
export {
  tunePostgres,
  postgresCommand,
  formatSettingsTable,
  pgSize,
  roundLikeTune,
  SEED_ORDER,
  DERIVED_ORDER,
  EARLIER_DEPLOYMENT,
  SUPPORTED_MAJORS,
  type TuningInput,
  type TunedSetting,
  type Tuning,
} from "./pgtune";
export { TuningError, BUDGET_SHARE, type Floors } from "./checks";
