/**
 * Generates the panel and plugin icons (committed next to this script): a sparkle over a selection rectangle,
 * light strokes for dark themes and dark strokes for light themes, at @1x and @2x.
 * Run: npx tsx assets/icons/make-icons.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = path.dirname(fileURLToPath(import.meta.url));
const THEMES = { dark: '#e6e6e6', light: '#323232' } as const;
const ICONS = { panel: 23, plugin: 24 } as const;

function svg(size: number, color: string): string {
  const s = size / 24;
  // Dashed marquee (the selection) with a four-point sparkle (the fill) inside, drawn on a 24-unit grid.
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 24 24">
  <rect x="2.5" y="2.5" width="19" height="19" rx="1.5" fill="none" stroke="${color}" stroke-width="${Math.max(1, 1.5 / s)}" stroke-dasharray="3 2"/>
  <path d="M12 5 L13.8 10.2 L19 12 L13.8 13.8 L12 19 L10.2 13.8 L5 12 L10.2 10.2 Z" fill="${color}"/>
</svg>`;
}

for (const [kind, size] of Object.entries(ICONS)) {
  for (const [theme, color] of Object.entries(THEMES)) {
    for (const scale of [1, 2]) {
      const px = size * scale;
      const file = path.join(here, `${kind}-${theme}@${scale}x.png`);
      await sharp(Buffer.from(svg(px, color))).resize(px, px).png({ compressionLevel: 9 }).toFile(file);
      console.log(`${path.relative(process.cwd(), file)} ${px}×${px}`);
    }
  }
}
