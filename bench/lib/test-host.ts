import { hostEnvPath, loadTestHost, type TestHost } from "../../test/e2e/helpers/test-host.js";

/** Exit code of a bench that could not measure: not a pass (0), not a missed target (1). */
export const CANNOT_MEASURE = 2;

/**
 * The test host, or a refusal: a bench whose target is about the build host must not measure
 * something else (the local executor, a missing host) and print PASS. Reads host.env the way the
 * e2e tests do, so PIKACI_TEST_HOST_DIR (or PIKACI_TEST_HOST_ENV) points it at a running host.
 */
export function testHostOrExit(bench: string, why: string): TestHost {
  let host: TestHost | undefined;
  let problem = `no test host at ${hostEnvPath()}`;
  try {
    host = loadTestHost();
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  if (host) return host;
  console.error(
    `${bench} bench: cannot measure: ${problem}. ${why} Start it with \`bash test/host/setup.sh\`, or point PIKACI_TEST_HOST_DIR at a running one.`,
  );
  process.exit(CANNOT_MEASURE);
}
