import { InfrastructureError } from "../../errors/index.js";
import type { InstanceSpec } from "../../incus/argv.js";
import type { IncusClient } from "../../incus/client.js";

/**
 * prepare_runtime, optimistically: one `incus launch IMAGE NAME < yaml` creates the instance with all
 * its disk devices and starts it. Only when that fails do we pay for diagnosis — a leftover instance of
 * the same name (an earlier attempt whose cleanup failed) is deleted and the launch retried once; a
 * missing image becomes an error that says how to import it.
 */
export async function launchInstance(params: {
  incus: IncusClient;
  spec: InstanceSpec;
  readyDeadlineMs: number;
  log: (line: string) => void;
  signal: AbortSignal;
}): Promise<void> {
  const { incus, spec, log, signal } = params;
  try {
    await incus.create(spec, { start: true, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/already exists/i.test(message)) {
      log(`removing leftover instance ${spec.name}`);
      await incus.delete(spec.name);
      await incus.create(spec, { start: true, signal });
    } else if (!(await incus.imageExists(spec.image))) {
      throw new InfrastructureError(`image '${spec.image}' is not on the build host`, {
        hint: `import it there (e.g. \`incus image import … --alias ${spec.image}\`, or test/host/setup.sh for the test host), or pass --image ALIAS`,
      });
    } else {
      throw error;
    }
  }
  // A container is usable once `launch` returns; a VM needs its agent up before `incus exec` works.
  if (spec.vm) await incus.waitReady(spec.name, { deadlineMs: params.readyDeadlineMs, signal });
}
