import path from "node:path";
import { pathToFileURL } from "node:url";
import { stageArtifact } from "../../../src/action/artifacts.js";

/**
 * Pack a run directory exactly as the Action uploads it: the Action's own `stageArtifact` (masking,
 * layout), then @actions/artifact's own zip writer (archiver, the same code `uploadArtifact` runs).
 * Those internals are not in the package's export map, so they are imported by file.
 */
const ARTIFACT_LIB = path.resolve("node_modules/@actions/artifact/lib/internal/upload");

export async function packLikeTheAction(runDir: string, stagingDir: string): Promise<Buffer> {
  const files = await stageArtifact({ runDir, stagingDir, secrets: [] });
  const spec = await import(pathToFileURL(path.join(ARTIFACT_LIB, "upload-zip-specification.js")).href);
  const zip = await import(pathToFileURL(path.join(ARTIFACT_LIB, "zip.js")).href);
  const specification = spec.getUploadZipSpecification(files, stagingDir);
  const stream: NodeJS.ReadableStream = await zip.createZipUploadStream(
    specification,
    zip.DEFAULT_COMPRESSION_LEVEL,
  );
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
