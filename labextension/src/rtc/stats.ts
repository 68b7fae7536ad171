/** What tests and diagnostics read from a connection's statistics. */
export interface IMediaStats {
  /** Bytes of audio received. */
  audioBytes: number;
  /** Energy of the received audio that was played. */
  audioEnergy: number;
  /** Video frames received and decoded. */
  videoFrames: number;
  /** Bytes sent. */
  sentBytes: number;
}

/** Add up a statistics report (of a connection, a sender or a receiver). */
export function summarize(reports: RTCStatsReport[]): IMediaStats {
  const out: IMediaStats = { audioBytes: 0, audioEnergy: 0, videoFrames: 0, sentBytes: 0 };
  for (const report of reports) {
    report.forEach((s: any) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.audioBytes += s.bytesReceived ?? 0;
        out.audioEnergy += s.totalAudioEnergy ?? 0;
      } else if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.videoFrames += s.framesDecoded ?? 0;
      } else if (s.type === 'outbound-rtp') {
        out.sentBytes += s.bytesSent ?? 0;
      }
    });
  }
  return out;
}
