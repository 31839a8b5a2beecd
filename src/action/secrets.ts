/** Every value that must never appear in output, records or artifacts. */
export function collectSecrets(inputs: { token: string; "ssh-key"?: string | undefined }): string[] {
  return [inputs.token, inputs["ssh-key"]].filter(
    (s): s is string => typeof s === "string" && s.trim() !== "",
  );
}
