"""The page's look and its one script: a newsroom theme on system fonts (nothing is fetched:
the app runs offline), the CSS of the chat and library, and the script that makes `[n]`
chips scroll to their source card (and back) and counts the question's characters."""

from __future__ import annotations

import gradio as gr

from rag.answer.guard import MAX_QUESTION_CHARS

SANS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
SERIF = ("Georgia", "Cambria", "Times New Roman", "Times", "serif")
MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")
ACCENT = "#b3261e"  # newsprint red


def theme() -> gr.themes.Base:
    """Ink on paper, a red accent, square-ish corners; system fonts only."""
    return gr.themes.Base(
        primary_hue=gr.themes.colors.red, neutral_hue=gr.themes.colors.stone,
        radius_size=gr.themes.sizes.radius_sm, font=SANS, font_mono=MONO,
    ).set(
        body_background_fill="#f7f5f0",
        block_background_fill="#ffffff",
        block_border_color="#e4e0d8",
        block_label_text_color="#5c5750",
        button_primary_background_fill=ACCENT,
        button_primary_background_fill_hover="#8f1e17",
        button_primary_text_color="#ffffff",
        input_background_fill="#ffffff",
        color_accent_soft="#efe9df",
        border_color_accent_subdued="#e0d6c6",
    )


PAGE_CSS = f"""
.gradio-container {{ max-width: 1280px !important; margin: 0 auto !important; }}
#rag-masthead {{ border-bottom: 3px double #1f1d1a; padding: .2em 0 .5em; margin-bottom: .3em; }}
#rag-masthead .rag-brand {{ font-family: {", ".join(repr(f) if " " in f else f for f in SERIF)};
  font-size: 2.1em; font-weight: 700; letter-spacing: -.01em; color: #1f1d1a; line-height: 1.1; }}
#rag-masthead .rag-brand b {{ color: {ACCENT}; }}
#rag-masthead .rag-tagline {{ color: #5c5750; font-size: .95em; margin-top: .2em; }}
#rag-chat .message-wrap .bot, #rag-chat .message-wrap .user {{ font-size: 1rem; line-height: 1.55; }}
a.rag-chip {{ display: inline-flex; align-items: center; justify-content: center; min-width: 1.35em; height: 1.35em;
  padding: 0 .3em; margin: 0 .1em; border-radius: .7em; background: #efe9df; color: {ACCENT} !important;
  font-size: .75em; font-weight: 700; text-decoration: none !important; vertical-align: .15em; cursor: pointer;
  border: 1px solid #e0d6c6; line-height: 1; }}
a.rag-chip:hover, a.rag-chip.rag-chip-active {{ background: {ACCENT}; color: #fff !important; border-color: {ACCENT}; }}
.rag-quote strong.rag-fact {{ background: #ffd24d; text-decoration: none; padding: 0 .1em; }}
mark.rag-fact {{ background: #ffe58f; color: inherit; padding: 0 .15em; border-radius: 2px; font-weight: 600; }}
.rag-icon {{ display: inline-block; position: relative; width: 1em; height: 1em; vertical-align: -.15em;
  box-sizing: border-box; margin-right: .15em; }}
.rag-icon-refusal {{ border: .14em solid {ACCENT}; border-radius: 50%; }}
.rag-icon-refusal::after {{ content: ""; position: absolute; left: 50%; top: 8%; width: .14em; height: 84%;
  background: {ACCENT}; transform: translateX(-50%) rotate(45deg); }}
.rag-icon-warning {{ width: 0; height: 0; border-left: .55em solid transparent; border-right: .55em solid transparent;
  border-bottom: .95em solid #b7791f; }}
.rag-icon-warning::after {{ content: "!"; position: absolute; left: -.12em; top: .12em; color: #fff;
  font: 700 .62em/1 {", ".join(SANS[-2:])}; }}
#rag-counter {{ font-size: .82em; color: #6b665e; text-align: right; min-height: 1.2em; padding: 0 .4em; }}
#rag-counter .rag-over {{ color: {ACCENT}; font-weight: 600; }}
#rag-examples .rag-examples-note {{ color: #6b665e; font-size: .85em; }}
@keyframes rag-flash {{ 0% {{ background: #ffe58f; }} 100% {{ background: #ffffff; }} }}
.rag-card.rag-active {{ outline: 3px solid {ACCENT}; outline-offset: 1px; }}
.rag-card.rag-flash {{ animation: rag-flash 1.8s ease-out; }}
.rag-back {{ float: right; font-size: .75em; font-weight: 500; color: #5c5750; background: none; border: 1px solid #d8d2c8;
  border-radius: 3px; padding: .05em .45em; cursor: pointer; }}
.rag-back:hover {{ color: {ACCENT}; border-color: {ACCENT}; }}
.rag-library-count {{ font-weight: 600; margin: .2em 0 .5em; }}
.rag-library-table {{ width: 100% !important; table-layout: fixed; border-collapse: collapse; font-size: .92em; margin: 0 !important; }}
.rag-library-table th, .rag-library-table td {{ border: none !important; padding: .35em .4em !important; vertical-align: top;
  overflow: hidden; text-overflow: ellipsis; }}
.rag-library-table th {{ text-align: left; border-bottom: 2px solid #1f1d1a !important; }}
.rag-library-table td {{ border-bottom: 1px solid #e4e0d8 !important; }}
.rag-library-table th:nth-child(1) {{ width: 58%; }}
.rag-library-table th:nth-child(2) {{ width: 26%; }}
.rag-library-table th:nth-child(3) {{ width: 16%; }}
.rag-lib-title {{ font-family: {", ".join(repr(f) if " " in f else f for f in SERIF)}; font-weight: 600; }}
.rag-lib-date, .rag-lib-outlet {{ color: #5c5750; white-space: nowrap; }}
.rag-reader-title {{ font-family: {", ".join(repr(f) if " " in f else f for f in SERIF)}; font-size: 1.4em; margin: 0 0 .2em; }}
.rag-reader-meta {{ color: #5c5750; font-size: .9em; }}
.rag-reader-text {{ white-space: pre-wrap; line-height: 1.6; max-height: 36em; overflow-y: auto; margin-top: .6em; }}
.rag-confidence {{ display: flex; flex-wrap: wrap; align-items: center; gap: .5em; font-size: .88em; margin-bottom: .6em; }}
.rag-meter {{ display: inline-block; width: 5em; height: .5em; background: #e9e4da; border-radius: .25em; overflow: hidden; }}
.rag-meter > span {{ display: block; height: 100%; background: #2f7d4a; }}
.rag-confidence-medium .rag-meter > span {{ background: #b7791f; }}
.rag-confidence-low .rag-meter > span {{ background: {ACCENT}; }}
.rag-missing {{ flex-basis: 100%; color: #8a5a00; }}
footer {{ opacity: .6; }}
#rag-chat button[aria-label="Clear"] {{ display: none !important; }}  /* one clear button: "New chat" */
@media (max-width: 640px) {{
  #rag-masthead .rag-brand {{ font-size: 1.6em; }}
  .rag-library-table th:nth-child(2), .rag-lib-outlet {{ display: none; }}
  .rag-library-table th:nth-child(1) {{ width: 72%; }}
  .rag-library-table th:nth-child(3) {{ width: 28%; }}
}}
"""

PAGE_JS = """
() => {
  if (window.__ragPage) return;
  window.__ragPage = true;
  const LIMIT = %(limit)d;
  let lastChip = null, pending = null, pendingUntil = 0;
  const flash = (n, force) => {
    const card = document.getElementById('rag-source-' + n);
    if (!card || (!force && card.classList.contains('rag-active'))) return false;
    document.querySelectorAll('.rag-card.rag-active').forEach(c => c.classList.remove('rag-active', 'rag-flash'));
    void card.offsetWidth;  // restart the animation
    card.classList.add('rag-active', 'rag-flash');
    card.scrollIntoView({behavior: 'smooth', block: 'center'});
    return true;
  };
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const chip = target && target.closest('a.rag-chip');
    if (chip) {
      event.preventDefault();
      document.querySelectorAll('a.rag-chip.rag-chip-active').forEach(c => c.classList.remove('rag-chip-active'));
      chip.classList.add('rag-chip-active');
      lastChip = chip;
      pending = (chip.getAttribute('href') || '').replace('#rag-source-', '');
      pendingUntil = Date.now() + 3000;  // clicking an older answer brings its sources back
      flash(pending, true);
      return;
    }
    const back = target && target.closest('.rag-back');
    if (back) {
      event.preventDefault();
      const to = lastChip && lastChip.isConnected ? lastChip : document.getElementById('rag-chat');
      if (to) to.scrollIntoView({behavior: 'smooth', block: 'center'});
    }
  }, true);
  new MutationObserver(() => {
    if (pending && Date.now() < pendingUntil) flash(pending, false);
  }).observe(document.body, {childList: true, subtree: true});
  const count = () => {
    const box = document.querySelector('#rag-question textarea');
    const out = document.querySelector('#rag-counter');
    if (!box || !out) return;
    const n = box.value.length;
    const text = n === 0 ? '' : n > LIMIT
      ? `${n.toLocaleString('en')} / ${LIMIT.toLocaleString('en')} characters: too long, shorten it (nothing was cut)`
      : `${n.toLocaleString('en')} / ${LIMIT.toLocaleString('en')}`;
    if (out.dataset.text !== text) {
      out.dataset.text = text;
      out.innerHTML = '';
      const span = document.createElement('span');
      span.className = n > LIMIT ? 'rag-over' : '';
      span.textContent = text;
      out.appendChild(span);
    }
  };
  document.addEventListener('input', count, true);
  setInterval(count, 500);
}
""" % {"limit": MAX_QUESTION_CHARS}
