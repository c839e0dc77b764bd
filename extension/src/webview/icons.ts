// The chat webview's line icons, drawn inline (the webview loads no remote resources).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A 16×16 line icon from path data (drawn with currentColor). */
function icon(paths: string[], filled = false): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('icon');
  for (const d of paths) {
    const p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    if (filled) p.setAttribute('fill', 'currentColor');
    else {
      p.setAttribute('fill', 'none');
      p.setAttribute('stroke', 'currentColor');
      p.setAttribute('stroke-width', '1.4');
      p.setAttribute('stroke-linecap', 'round');
      p.setAttribute('stroke-linejoin', 'round');
    }
    svg.append(p);
  }
  return svg;
}

export const ICONS = {
  send: () => icon(['M2.5 8h9', 'M8 4l4 4-4 4']),
  stop: () => icon(['M4.5 4.5h7v7h-7z'], true),
  spark: () => icon(['M8 1.5l1.6 4.2 4.4 1.3-4.4 1.3L8 12.5 6.4 8.3 2 7l4.4-1.3z'], true),
  close: () => icon(['M4 4l8 8M12 4l-8 8']),
  file: () => icon(['M4 1.5h5l3 3v10H4z', 'M9 1.5v3h3']),
};
