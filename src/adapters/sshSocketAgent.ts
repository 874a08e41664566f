import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Ssh2Session } from './ssh.js';

/** Methods node's HTTP client may call on a socket that an SSH channel does not have. */
const SOCKET_METHODS = ['setTimeout', 'setNoDelay', 'setKeepAlive', 'ref', 'unref'] as const;

/** Lets an ssh2 channel stand where node's HTTP client expects a `net.Socket`. */
function asSocket(stream: Duplex): Duplex {
  const socket = stream as Duplex & Record<(typeof SOCKET_METHODS)[number], unknown>;
  for (const method of SOCKET_METHODS) {
    if (typeof socket[method] !== 'function') socket[method] = () => socket;
  }
  return socket;
}

/**
 * An HTTP agent whose every connection is a fresh `direct-streamlocal` channel to a unix socket on an SSH host, the way
 * `docker -H ssh://` reaches a remote engine without exposing it on TCP. Channels are cheap; the SSH connection is shared.
 */
export class UnixSocketOverSshAgent extends Agent {
  constructor(
    /** Returns an open session, reconnecting when the previous one dropped. */
    private readonly session: () => Promise<Ssh2Session>,
    private readonly socketPath: string,
  ) {
    super({ keepAlive: false });
  }

  override createConnection(_options: ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): undefined {
    this.session()
      .then((session) => session.openUnixSocket(this.socketPath))
      .then(
        (stream) => callback?.(null, asSocket(stream)),
        (error: Error) => callback?.(error, undefined as unknown as Duplex),
      );
    return undefined;
  }
}
