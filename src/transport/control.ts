import type { MessagePort } from 'node:worker_threads';
import type { Endpoint } from './endpoint/endpoint.js';
import type { ControlToWorker, KernelResultMessage } from './protocol.js';

/** The worker side of the control plane, as the idle strategies see it. */
export interface ControlListener {
  /** The host posted a control message that this thread's event loop has not delivered yet. */
  pending(): boolean;
}

/**
 * The one control switch of every worker (actors and the bridge): applies each control message
 * from the host to the worker's endpoint, in order, counts it and acknowledges it. A stop request
 * goes to `onStop`, the answer to a kernel call to `onKernelResult` (counted, not acknowledged). `countAtAttach` is the host's CONTROL word as it stood before the worker's
 * first message (see AttachMessage.controlCount).
 */
export function listenForControl(
  port: MessagePort,
  endpoint: Endpoint,
  countAtAttach: number,
  onStop: (drain: boolean) => void,
  onKernelResult: (m: KernelResultMessage) => void = () => {},
): ControlListener {
  let seen = countAtAttach;
  port.on('message', (c: ControlToWorker) => {
    if (c.type === 'kernel-result') {
      seen++; // announced on the doorbell like a control message, so a parked loop wakes to read it
      onKernelResult(c);
      return;
    }
    switch (c.type) {
      case 'peers': endpoint.setPeers(c.peers); break;
      case 'down': endpoint.peerDown(c.id, c.reason, c.crashed); break;
      case 'subscriptions': endpoint.setSubscriptions(c.subscriptions); break;
      case 'remote': endpoint.setRemote(c.actors); break;
      case 'stop': onStop(c.drain); break;
    }
    seen++;
    port.postMessage({ type: 'ack', seq: c.seq });
  });
  return { pending: () => endpoint.own.doorbell.controlCount() !== seen };
}
