import type { Point } from '../model/geometry';
import type { IBox } from '../model/labels';
import type { IMapInfo, IParticipantInfo, IRoomInfo } from '../protocol';

/** The map's colours and font, from the theme's CSS variables. */
export interface IPalette {
  ink: string;
  floor: string;
  muted: string;
  accent: string;
  font: string;
  hand: string;
  speaking: string;
  stage: string;
  room: string;
  wall: string;
  error: string;
}

/** The palette as the theme has it now (read once a frame: the theme may change). */
export function readPalette(node: HTMLElement): IPalette {
  const style = getComputedStyle(node);
  const colour = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    ink: colour('--jp-ui-font-color1', '#222'),
    floor: colour('--jp-layout-color1', '#fff'),
    muted: colour('--jp-ui-font-color2', '#666'),
    accent: colour('--jp-brand-color1', '#1976d2'),
    font: colour('--jp-ui-font-family', 'sans-serif'),
    hand: colour('--jp-warn-color1', '#f57c00'),
    speaking: colour('--jp-success-color1', '#388e3c'),
    stage: colour('--jp-warn-color3', '#ffe0b2'),
    room: colour('--jp-brand-color3', '#bbdefb'),
    wall: colour('--jp-layout-color4', '#999'),
    error: colour('--jp-error-color1', '#d32f2f')
  };
}

/**
 * Rooms (and, on a map without pictures, the floor, the walls and the
 * tables' seats). Over a map's tiles the rooms are outlines, and the walls
 * are left to the pictures. A room `barred` for us (locked, or full) is
 * outlined in the error colour; the names are written later
 * (`drawRoomLabel`), once it is known where they fit.
 */
export function drawRooms(
  ctx: CanvasRenderingContext2D,
  map: IMapInfo,
  myRoom: string | null,
  overTiles: boolean,
  colours: IPalette,
  barred: (room: IRoomInfo) => boolean
): void {
  if (!overTiles) {
    ctx.fillStyle = colours.floor;
    ctx.fillRect(0, 0, map.width, map.height);
  }
  for (const room of map.rooms) {
    const mineRoom = myRoom === room.id;
    ctx.beginPath();
    room.polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    if (!overTiles) {
      ctx.fillStyle = room.kind === 'stage' ? colours.stage : colours.room;
      ctx.globalAlpha = 0.6;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    const shut = !mineRoom && barred(room);
    ctx.lineWidth = mineRoom || shut ? 6 : 2;
    ctx.strokeStyle = mineRoom
      ? colours.accent
      : shut
        ? colours.error
        : overTiles
          ? 'rgba(255, 255, 255, 0.7)'
          : colours.muted;
    if (overTiles && !mineRoom) {
      ctx.setLineDash([10, 8]);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    if (!overTiles) {
      ctx.fillStyle = colours.muted;
      for (const [x, y] of room.seats ?? []) {
        ctx.fillRect(x - 6, y - 6, 12, 12);
      }
    }
  }
  if (!overTiles) {
    ctx.fillStyle = colours.wall;
    for (const w of map.walls) {
      ctx.fillRect(w.x, w.y, w.width, w.height);
    }
  }
}

/** A room's name in `box`, on a plate, with a padlock before it when it is locked. */
export function drawRoomLabel(
  ctx: CanvasRenderingContext2D,
  box: IBox,
  text: string,
  locked: boolean,
  size: number,
  colours: IPalette,
  overTiles: boolean
): void {
  ctx.fillStyle = overTiles ? 'rgba(255, 255, 255, 0.8)' : colours.floor;
  ctx.globalAlpha = overTiles ? 1 : 0.8;
  ctx.fillRect(box.x, box.y, box.width, box.height);
  ctx.globalAlpha = 1;
  const ink = overTiles ? '#333' : colours.muted;
  let x = box.x + size * 0.2;
  const mid = box.y + box.height / 2;
  if (locked) {
    drawPadlock(ctx, x + size * 0.4, mid, size * 0.8, colours.error);
    x += size;
  }
  ctx.font = `bold ${size}px ${colours.font}`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = ink;
  ctx.fillText(text, x, mid);
}

/** A padlock `h` high centred on (x, y): drawn, as no font is sure to have one. */
function drawPadlock(ctx: CanvasRenderingContext2D, x: number, y: number, h: number, colour: string): void {
  const w = h * 0.75;
  ctx.fillStyle = colour;
  ctx.fillRect(x - w / 2, y - h * 0.05, w, h * 0.55);
  ctx.beginPath();
  ctx.arc(x, y - h * 0.05, w * 0.32, Math.PI, 0);
  ctx.lineWidth = h * 0.12;
  ctx.strokeStyle = colour;
  ctx.stroke();
}

/** How far our voice carries: a dashed circle around us. */
export function drawReach(ctx: CanvasRenderingContext2D, at: Point, radius: number, colours: IPalette): void {
  ctx.beginPath();
  ctx.arc(at[0], at[1], radius, 0, Math.PI * 2);
  ctx.strokeStyle = colours.accent;
  ctx.globalAlpha = 0.25;
  ctx.setLineDash([8, 8]);
  ctx.lineWidth = 2;
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

/** One avatar as the map shows it. */
export interface IAvatarLook {
  participant: IParticipantInfo;
  at: Point;
  /** Their camera, when it has a picture. */
  camera: HTMLVideoElement | null;
  /** Their voice's level (0: silent). */
  level: number;
  mine: boolean;
}

/** An avatar's bubble: larger with a camera, as the video is the person. */
function bubbleRadius(r: number, camera: boolean): number {
  return camera ? r * 1.6 : r;
}

/** How far from its centre an avatar is drawn, its raised hand's ring included (see `drawAvatar`). */
export function avatarRadius(r: number, p: IParticipantInfo, camera: boolean): number {
  const radius = bubbleRadius(r, camera);
  return p.hand ? radius * 1.35 + r * 0.125 : radius;
}

/**
 * An avatar with its raised hand, its speaking ring and, for ours, a ring
 * of ink; `r` is the size of a bubble without a camera.
 */
export function drawAvatar(ctx: CanvasRenderingContext2D, look: IAvatarLook, r: number, colours: IPalette): void {
  const p = look.participant;
  const [x, y] = look.at;
  ctx.globalAlpha = p.connection === 'reconnecting' ? 0.4 : 1;
  const radius = bubbleRadius(r, !!look.camera);
  if (p.hand) {
    ctx.beginPath();
    ctx.arc(x, y, radius * 1.35, 0, Math.PI * 2);
    ctx.strokeStyle = colours.hand;
    ctx.lineWidth = r * 0.25;
    ctx.stroke();
  }
  if (look.level > 0.02) {
    // Speaking: a ring that grows with the voice.
    ctx.beginPath();
    ctx.arc(x, y, radius * (1.15 + Math.min(0.5, look.level * 3)), 0, Math.PI * 2);
    ctx.strokeStyle = colours.speaking;
    ctx.lineWidth = r * 0.2;
    ctx.stroke();
  }
  drawBubble(ctx, x, y, radius, p.color, look.camera, p.initials, colours.font);
  if (look.mine) {
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, Math.PI * 2);
    ctx.lineWidth = r * 0.2;
    ctx.strokeStyle = colours.ink;
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
}

/**
 * An avatar: a round bubble with the person's camera in it (cropped to a
 * square from the middle), or their initials on their colour; a ring of
 * their colour around the video says whose it is.
 */
function drawBubble(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  r: number,
  color: string,
  camera: HTMLVideoElement | null,
  initials: string,
  font: string
): void {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, Math.PI * 2);
  ctx.fillStyle = color;
  ctx.fill();
  if (camera) {
    const side = Math.min(camera.videoWidth, camera.videoHeight);
    const sx = (camera.videoWidth - side) / 2;
    const sy = (camera.videoHeight - side) / 2;
    ctx.save();
    ctx.beginPath();
    ctx.arc(x, y, r * 0.88, 0, Math.PI * 2);
    ctx.clip();
    ctx.drawImage(camera, sx, sy, side, side, x - r, y - r, 2 * r, 2 * r);
    ctx.restore();
    return;
  }
  ctx.fillStyle = '#fff';
  ctx.font = `bold ${Math.round(r * 0.9)}px ${font}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(initials, x, y + 1);
}
