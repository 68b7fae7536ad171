import { ClassroomConnection } from '../model/connection';
import { IRelaySignal, IStreamSource } from '../protocol';

/** Relay WebRTC signaling to a peer the server paired us with. */
export function sendPeerSignal(
  connection: ClassroomConnection,
  to: string,
  data: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit | null },
  sources?: IStreamSource[],
  call?: number
): void {
  const message: IRelaySignal = { type: 'signal', to, ...(sources ? { sources } : {}) };
  if (call !== undefined) {
    message.call = call;
  }
  if (data.description) {
    message.description = { type: data.description.type, sdp: data.description.sdp ?? null };
  }
  if (data.candidate && data.candidate.candidate) {
    message.candidate = {
      candidate: data.candidate.candidate,
      sdpMid: data.candidate.sdpMid ?? null,
      sdpMLineIndex: data.candidate.sdpMLineIndex ?? null,
      usernameFragment: data.candidate.usernameFragment ?? null
    };
  }
  connection.send(message);
}

/** Answer the SFU's offer on room connection `number`. */
export function sendSfuAnswer(
  connection: ClassroomConnection,
  number: number,
  description: RTCSessionDescriptionInit
): void {
  connection.send({
    type: 'sfu_answer',
    connection: number,
    description: { type: description.type, sdp: description.sdp ?? null }
  });
}

/** One of our ICE candidates for room connection `number` (null: no more). */
export function sendSfuCandidate(
  connection: ClassroomConnection,
  number: number,
  candidate: RTCIceCandidateInit | null
): void {
  if (candidate && !candidate.candidate) {
    return;
  }
  connection.send({
    type: 'sfu_candidate',
    connection: number,
    ...(candidate
      ? {
          candidate: {
            candidate: candidate.candidate!,
            sdpMid: candidate.sdpMid ?? null,
            sdpMLineIndex: candidate.sdpMLineIndex ?? null,
            usernameFragment: candidate.usernameFragment ?? null
          }
        }
      : {})
  });
}
