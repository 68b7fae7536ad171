import type { Point } from '../model/geometry';
import type { IMapInfo, IParticipantInfo } from '../protocol';

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
    wall: colour('--jp-layout-color4', '#999')
  };
}

/**
 * Rooms (and, on a map without pictures, the floor and walls). Over a
 * map's tiles the rooms are outlines with their names, and the walls are
 * left to the pictures.
 */
export function drawRooms(
  ctx: CanvasRenderingContext2D,
  map: IMapInfo,
  myRoom: string | null,
  scale: number,
  overTiles: boolean,
  colours: IPalette
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
    ctx.lineWidth = mineRoom ? 6 : 2;
    ctx.strokeStyle = mineRoom ? colours.accent : overTiles ? 'rgba(255, 255, 255, 0.7)' : colours.muted;
    if (overTiles && !mineRoom) {
      ctx.setLineDash([10, 8]);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    const xs = room.polygon.map(p => p[0]);
    const ys = room.polygon.map(p => p[1]);
    const size = Math.max(22, 11 / scale);
    ctx.font = `bold ${size}px ${colours.font}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const lx = Math.min(...xs) + 10;
    const ly = Math.min(...ys) + 8;
    if (overTiles) {
      // A plate under the name, so it reads on any picture.
      const w = ctx.measureText(room.name).width;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.8)';
      ctx.fillRect(lx - 4, ly - 2, w + 8, size + 4);
      ctx.fillStyle = '#333';
    } else {
      ctx.fillStyle = colours.muted;
    }
    ctx.fillText(room.name, lx, ly);
  }
  if (!overTiles) {
    ctx.fillStyle = colours.wall;
    for (const w of map.walls) {
      ctx.fillRect(w.x, w.y, w.width, w.height);
    }
  }
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

/**
 * An avatar with its raised hand, its speaking ring and, for ours, a ring
 * of ink; `r` is the size of a bubble without a camera.
 */
export function drawAvatar(ctx: CanvasRenderingContext2D, look: IAvatarLook, r: number, colours: IPalette): void {
  const p = look.participant;
  const [x, y] = look.at;
  ctx.globalAlpha = p.connection === 'reconnecting' ? 0.4 : 1;
  // With a camera the bubble is larger, as the video is the person.
  const radius = look.camera ? r * 1.6 : r;
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
