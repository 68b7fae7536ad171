import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';

/** A sentence for people from a getUserMedia/getDisplayMedia failure. */
export function mediaErrorMessage(what: string, error: unknown): string {
  const name = (error as DOMException)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `The browser did not allow the ${what}. Allow it in the site settings (the icon left of the address) and try again.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} was found. Plug one in, or choose another in the device settings.`;
    case 'NotReadableError':
      return `The ${what} is in use by another program.`;
    case 'AbortError':
      return `Starting the ${what} was cancelled.`;
    default:
      return `The ${what} could not be started (${name ?? String(error)}).`;
  }
}

/**
 * This browser's microphone, camera and shared screen. The rest of the
 * classroom keeps working when any of them is missing or refused.
 */
export class LocalMedia implements IDisposable {
  /** Microphone and camera travel in this stream, the screen in its own. */
  readonly userStream = new MediaStream();
  readonly screenStream = new MediaStream();

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get errorOccurred(): ISignal<this, string> {
    return this._errorOccurred;
  }
  get micTrack(): MediaStreamTrack | null {
    return this._mic;
  }
  get cameraTrack(): MediaStreamTrack | null {
    return this._camera;
  }
  get screenTrack(): MediaStreamTrack | null {
    return this._screen;
  }
  /** Whether the microphone sends sound (a muted microphone sends silence). */
  get micOn(): boolean {
    return !!this._mic && this._mic.enabled;
  }
  get cameraOn(): boolean {
    return !!this._camera;
  }
  get screenOn(): boolean {
    return !!this._screen;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  readonly chosen: Record<DeviceKind, string> = { audioinput: '', videoinput: '', audiooutput: '' };

  async devices(): Promise<MediaDeviceInfo[]> {
    try {
      return await navigator.mediaDevices.enumerateDevices();
    } catch {
      return [];
    }
  }

  /** Open the microphone (muted or not); returns false if it could not. */
  async setMic(on: boolean): Promise<boolean> {
    if (on && !this._mic) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: this.chosen.audioinput
            ? { deviceId: { exact: this.chosen.audioinput }, echoCancellation: true, noiseSuppression: true }
            : { echoCancellation: true, noiseSuppression: true }
        });
        this._mic = stream.getAudioTracks()[0];
        this.userStream.addTrack(this._mic);
      } catch (error) {
        this._errorOccurred.emit(mediaErrorMessage('microphone', error));
        return false;
      }
    }
    if (this._mic) {
      this._mic.enabled = on;
    }
    this._changed.emit();
    return true;
  }

  async setCamera(on: boolean): Promise<boolean> {
    if (on && !this._camera) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          video: {
            ...(this.chosen.videoinput ? { deviceId: { exact: this.chosen.videoinput } } : {}),
            width: { ideal: 640 },
            height: { ideal: 360 },
            frameRate: { ideal: 20 }
          }
        });
        this._camera = stream.getVideoTracks()[0];
        this.userStream.addTrack(this._camera);
      } catch (error) {
        this._errorOccurred.emit(mediaErrorMessage('camera', error));
        return false;
      }
    } else if (!on && this._camera) {
      this._camera.stop();
      this.userStream.removeTrack(this._camera);
      this._camera = null;
    }
    this._changed.emit();
    return true;
  }

  async setScreen(on: boolean): Promise<boolean> {
    if (on && !this._screen) {
      try {
        const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        this._screen = stream.getVideoTracks()[0];
        this._screen.contentHint = 'detail';
        // The browser's own "Stop sharing" button ends the track.
        this._screen.addEventListener('ended', () => void this.setScreen(false));
        this.screenStream.addTrack(this._screen);
      } catch (error) {
        this._errorOccurred.emit(mediaErrorMessage('screen share', error));
        return false;
      }
    } else if (!on && this._screen) {
      const track = this._screen;
      this._screen = null;
      track.stop();
      this.screenStream.removeTrack(track);
    }
    this._changed.emit();
    return true;
  }

  /** Switch to another device; an open microphone or camera is reopened on it. */
  async choose(kind: DeviceKind, deviceId: string): Promise<void> {
    this.chosen[kind] = deviceId;
    if (kind === 'audioinput' && this._mic) {
      const wasOn = this._mic.enabled;
      this._mic.stop();
      this.userStream.removeTrack(this._mic);
      this._mic = null;
      await this.setMic(wasOn);
    } else if (kind === 'videoinput' && this._camera) {
      await this.setCamera(false);
      await this.setCamera(true);
    } else {
      this._changed.emit();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    for (const t of [this._mic, this._camera, this._screen]) {
      t?.stop();
    }
    Signal.clearData(this);
  }

  private _mic: MediaStreamTrack | null = null;
  private _camera: MediaStreamTrack | null = null;
  private _screen: MediaStreamTrack | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
  private _errorOccurred = new Signal<this, string>(this);
}
