import type { MessagePort } from 'node:worker_threads';
import type { Endpoint } from './endpoint/endpoint.js';
import type { ControlToWorker, KernelLaneMessage, KernelResultMessage } from './protocol.js';

/** The worker side of the control plane, as the idle strategies see it. */
export interface ControlListener {
  /** The host posted a control message that this thread's event loop has not delivered yet. */
  pending(): boolean;
}

/** Where the kernel messages go: answers the host ran for the actor, and lanes to pool threads. */
export interface KernelMessageHandler {
  answered(m: KernelResultMessage): void;
  lane(m: KernelLaneMessage): void;
}

/**
 * The one control switch of every worker (actors and the bridge): applies each control message
 * from the host to the worker's endpoint, in order, counts it and acknowledges it. A stop request
 * goes to `onStop`; kernel answers and lanes go to `kernels` (counted, not acknowledged).
 * `countAtAttach` is the host's CONTROL word as it stood before the worker's first message (see
 * AttachMessage.controlCount).
 */
export function listenForControl(
  port: MessagePort,
  endpoint: Endpoint,
  countAtAttach: number,
  onStop: (drain: boolean) => void,
  kernels?: KernelMessageHandler,
): ControlListener {
  let seen = countAtAttach;
  port.on('message', (c: ControlToWorker | { type: 'attach' | 'restart' | 'prepare' }) => {
    if (c.type === 'attach' || c.type === 'restart' || c.type === 'prepare') return; // the worker's own business, not control
    if (c.type === 'kernel-result' || c.type === 'kernel-lane') {
      seen++; // announced on the doorbell like a control message, so a parked loop wakes to read it
      if (c.type === 'kernel-result') kernels?.answered(c);
      else kernels?.lane(c);
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
