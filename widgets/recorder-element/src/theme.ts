/**
 * The look both elements share, in shadow DOM so a host's global CSS (old teller screens style `input`, `table`
 * and `button` globally) cannot reach in. Hosts theme through these custom properties and the `::part`s each
 * element documents (docs/widget.md).
 */
import { css } from "lit";

export const theme = css`
  :host {
    --_accent: var(--dr-accent, #c8102e);
    --_fg: var(--dr-fg, #222);
    --_bg: var(--dr-bg, #fff);
    --_muted: var(--dr-muted, #6b6b6b);
    --_border: var(--dr-border, #d0d0d0);
    --_danger: var(--dr-danger, #b00020);
    --_ok: var(--dr-ok, #1b7f3b);
    --_radius: var(--dr-radius, 4px);
    display: block;
  }
  /*
   * The look sits on an inner wrapper, not on :host: a host page's own rules for the element (an old teller
   * screen's "* { padding: 0; font-family: SimSun }") beat :host, and what they set would be inherited inside.
   */
  .base {
    box-sizing: border-box;
    font: var(--dr-font, 14px/1.5 "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif);
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 12px;
    text-align: start;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button {
    font: inherit;
    padding: 4px 14px;
    border-radius: var(--_radius);
    border: 1px solid var(--_border);
    background: var(--_bg);
    color: var(--_fg);
    cursor: pointer;
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: #fff;
  }
  button.danger {
    color: var(--_danger);
    border-color: var(--_danger);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  select {
    font: inherit;
    padding: 3px 6px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_fg);
  }
  label {
    display: inline-flex;
    gap: 6px;
    align-items: center;
    margin: 0 12px 6px 0;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    margin: 6px 0;
  }
  .error {
    color: var(--_danger);
  }
  .muted {
    color: var(--_muted);
  }
  h2 {
    font-size: 1.1em;
    margin: 0 0 8px;
  }
`;
