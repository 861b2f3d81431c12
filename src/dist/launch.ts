// Starting the ranks of one node: `rlvr train --nproc N` (see src/cli/train.ts).
import net from 'node:net';

/** A TCP port that was free a moment ago on `host` (the OS picks it; a race with other programs is possible but rare). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
