// A few DOM helpers: enough to build the screens without a framework.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Creates an element. `on…` attributes with a function become listeners; `true` sets a boolean
 * attribute, `false`/null/undefined leaves it out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }

  element.append(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  return element;
}

/**
 * Replaces a region's content. Keyboard focus survives: the element that had it is found again
 * by its `data-key` in the new content, so a screen that updates live stays usable.
 */
export function renderInto(region: HTMLElement, ...children: Child[]): void {
  const focused = document.activeElement;
  const key = focused instanceof HTMLElement && region.contains(focused) ? focused.dataset.key : undefined;
  region.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  if (key !== undefined) {
    region.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
  }
}

/** A button with a stable focus key; `pressed` makes it a toggle (aria-pressed). */
export function button(
  label: string,
  onClick: () => void,
  options: { key?: string; pressed?: boolean; className?: string; ariaLabel?: string; disabled?: boolean; describedBy?: string | undefined } = {},
): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: options.className,
      'data-key': options.key ?? label,
      'aria-pressed': options.pressed === undefined ? undefined : String(options.pressed),
      'aria-label': options.ariaLabel,
      'aria-describedby': options.describedBy,
      disabled: options.disabled ?? false,
      onclick: () => onClick(),
    },
    label,
  );
}

const iconPaths: Record<'phone' | 'camera', string> = {
  phone: 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z',
  camera: 'M4 6h11a2 2 0 0 1 2 2v1.5l4-2.5v10l-4-2.5V16a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2z',
};

/** A small drawn icon, hidden from screen readers (the button's label says what it does). */
export function icon(name: keyof typeof iconPaths): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', iconPaths[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
