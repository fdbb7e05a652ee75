/** Binding a listener, shared by every protocol front end. */
import type { AddressInfo, Server } from 'node:net';

/** Starts listening; resolves with the port actually bound (port 0 picks a free one), rejects on EADDRINUSE and the like. */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
