type Child = Node | string | null | undefined | false;

/**
 * Creates an element; text is always set as text (textContent / text nodes), never parsed as
 * HTML, so whatever a device sends is shown literally.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing from index.html`);
  return node as T;
}

/**
 * Puts `nodes` at the start of `container`, in this order, moving only those out of place:
 * moving a node takes the keyboard focus away from it and costs a layout.
 */
export function placeInOrder(container: HTMLElement, nodes: readonly HTMLElement[]): void {
  let previous: HTMLElement | null = null;
  for (const node of nodes) {
    const expectedNext: ChildNode | null = previous ? previous.nextSibling : container.firstChild;
    if (expectedNext !== node) container.insertBefore(node, expectedNext);
    previous = node;
  }
}

/** Writes a text only when it changed: even an unchanged write costs the browser a style pass. */
export function setText(node: Element | null, text: string): void {
  if (node && node.textContent !== text) node.textContent = text;
}

/** Sets (or, with null, removes) an attribute only when it changed, for the same reason. */
export function setAttribute(node: Element, name: string, value: string | null): void {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
