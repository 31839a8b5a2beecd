import { posix } from "node:path";
import type { Client, SFTPWrapper } from "ssh2";
import type { HostFiles } from "../transport/transport.js";

// SFTP status codes (draft-ietf-secsh-filexfer-02): the ones mkdir -p and rm -f tolerate.
const NO_SUCH_FILE = 2;
const FAILURE = 4;
const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/**
 * One SFTP session per ssh connection, opened on first use and kept: a directory or a heartbeat
 * then costs one request on an open channel instead of a shell started by sshd.
 */
export function sftpFiles(client: Client): Promise<HostFiles> {
  return new Promise((resolve, reject) =>
    client.sftp((error, sftp) => (error ? reject(error) : resolve(filesOver(sftp)))),
  );
}

function filesOver(sftp: SFTPWrapper): HostFiles {
  const call = <T>(run: (done: (error: Error | null | undefined, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));
  const isDir = (path: string) =>
    call<{ isDirectory(): boolean }>((done) => sftp.stat(path, done)).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
  const mkdirp = async (path: string): Promise<void> => {
    try {
      await call((done) => sftp.mkdir(path, done));
    } catch (error) {
      // OpenSSH answers "failure" for an existing path; missing parents are "no such file".
      if (codeOf(error) === NO_SUCH_FILE && path !== "/") {
        await mkdirp(posix.dirname(path));
        return mkdirp(path);
      }
      if (codeOf(error) === FAILURE && (await isDir(path))) return;
      throw error;
    }
  };
  return {
    async mkdir(path, mode) {
      await mkdirp(path);
      if (mode !== undefined) await call((done) => sftp.chmod(path, mode, done));
    },
    async remove(path) {
      await call((done) => sftp.unlink(path, done)).catch((error: unknown) => {
        if (codeOf(error) !== NO_SUCH_FILE) throw error;
      });
    },
    read: (path) =>
      call<Buffer>((done) => sftp.readFile(path, done)).then(
        (data) => data.toString("utf8"),
        (error: unknown) => {
          if (codeOf(error) === NO_SUCH_FILE) return null;
          throw error;
        },
      ),
    async touch(path) {
      const now = new Date();
      await call((done) => sftp.utimes(path, now, now, done)).catch(async (error: unknown) => {
        if (codeOf(error) !== NO_SUCH_FILE) throw error;
        const handle = await call<Buffer>((done) => sftp.open(path, "a", done));
        await call((done) => sftp.close(handle, done));
      });
    },
  };
}
