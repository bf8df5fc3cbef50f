// The conversation's behaviour (run by gr.HTML as js_on_load: `element` is the #chat block, `trigger` sends
// an event to Python). Listeners are delegated, so they survive every re-render of the conversation.
const panel = () => document.querySelector('#sources');
const visible = (el) => el && el.offsetParent !== null;

function select(turn) {
  // Show this reply's sources in the panel and mark the reply as the selected one.
  element.querySelectorAll('.turn').forEach((t) => t.classList.toggle('selected', t.dataset.turn === turn));
  const p = panel();
  if (!p) return;
  let found = false;
  p.querySelectorAll('.turn-sources').forEach((g) => {
    const mine = g.dataset.turn === turn;
    g.hidden = !mine;
    found = found || mine;
  });
  if (found) p.dataset.selected = turn;
}

function highlight(turn, n, scroll) {
  document.querySelectorAll('.source.lit, a.cite.lit').forEach((el) => el.classList.remove('lit'));
  const cards = [document.getElementById(`psrc-${turn}-${n}`), document.getElementById(`src-${turn}-${n}`)];
  element.querySelectorAll(`a.cite[data-turn="${turn}"][data-n="${n}"]`).forEach((a) => a.classList.add('lit'));
  for (const card of cards) {
    if (!card) continue;
    card.classList.add('lit');
    const fold = card.closest('details');
    if (scroll && fold && visible(fold)) fold.open = true;
    if (scroll && visible(card)) card.scrollIntoView({block: 'nearest', behavior: 'smooth'});
  }
}

function openArticle(button) {
  const dialog = document.getElementById('article-view');
  if (!dialog) return;
  dialog.querySelectorAll('mark.cited').forEach((m) => m.replaceWith(...m.childNodes));
  dialog.querySelectorAll('.psg.cited').forEach((s) => s.classList.remove('cited'));
  let section = null;
  dialog.querySelectorAll('.article-section').forEach((s) => {
    s.hidden = s.dataset.section !== button.dataset.section;
    if (!s.hidden) section = s;
  });
  if (!section) return;
  const start = Number(button.dataset.start), end = Number(button.dataset.end);
  let target = null;
  for (const span of section.querySelectorAll('.psg')) {
    // a quote may run over several sentences: mark the cited characters of each one it overlaps
    const s = Number(span.dataset.start), e = Number(span.dataset.end);
    if (e <= start || s >= end || !span.firstChild) continue;
    span.normalize();
    const range = document.createRange();
    range.setStart(span.firstChild, Math.max(start, s) - s);  // passage text is the source span: offsets map 1:1
    range.setEnd(span.firstChild, Math.min(end, e) - s);
    const mark = document.createElement('mark');
    mark.className = 'cited';
    range.surroundContents(mark);
    span.classList.add('cited');
    target = target || mark;
  }
  if (!dialog.open) dialog.showModal();
  if (target) target.scrollIntoView({block: 'center'});
}

if (!window.__backstretchDocument) {
  // Cards in the panel and the article dialog live outside this block: one document-level listener for them.
  window.__backstretchDocument = true;
  document.addEventListener('click', (ev) => {
    const open = ev.target.closest('button.open-article');
    if (open) { openArticle(open); return; }
    if (ev.target.closest('button.close-article')) { document.getElementById('article-view')?.close(); }
  });
}

element.addEventListener('click', (ev) => {
  const cite = ev.target.closest('a.cite');
  if (cite) {
    ev.preventDefault();
    select(cite.dataset.turn);
    highlight(cite.dataset.turn, cite.dataset.n, true);
    return;
  }
  const option = ev.target.closest('button.option');
  if (option) { trigger('ask', {question: option.dataset.q}); return; }
  const tools = ev.target.closest('.tools, .comment-box');
  const turn = tools ? tools.dataset.turn : null;
  const copy = ev.target.closest('button.copy');
  if (copy) {
    navigator.clipboard.writeText(copy.dataset.copy).then(() => {
      copy.dataset.copied = '1';
      const status = copy.parentElement.querySelector('.vote-status');
      if (status) status.textContent = copy.dataset.copiedLabel || '✓';
    });
    return;
  }
  const vote = ev.target.closest('button.vote');
  if (vote && turn) {
    // clicking the pressed thumb again takes the vote back; the other thumb changes it
    const value = vote.getAttribute('aria-pressed') === 'true' ? 0 : Number(vote.dataset.value);
    vote.parentElement.querySelectorAll('button.vote').forEach((b) =>
      b.setAttribute('aria-pressed', String(value !== 0 && b === vote)));
    const box = element.querySelector(`.comment-box[data-turn="${turn}"]`);
    if (box) {
      box.hidden = value === 0;
      if (value === 0) box.querySelector('textarea').value = '';
    }
    trigger('vote', {turn, value});
    return;
  }
  const save = ev.target.closest('button.save-comment');
  if (save && turn) {
    trigger('comment', {turn, text: save.parentElement.querySelector('textarea').value});
    return;
  }
  const show = ev.target.closest('button.show-sources');
  if (show) { select(show.dataset.turn); return; }
  const picked = ev.target.closest('.turn');
  if (picked && !ev.target.closest('button, a, textarea, summary')) select(picked.dataset.turn);
});

const hover = (ev) => {
  const cite = ev.target.closest && ev.target.closest('a.cite');
  if (cite) { select(cite.dataset.turn); highlight(cite.dataset.turn, cite.dataset.n, false); }
};
element.addEventListener('mouseover', hover);
element.addEventListener('focusin', hover);

// A new turn brings its question to the top of the view (not the end of a long reply).
let seen = element.querySelectorAll('.turn').length;
new MutationObserver(() => {
  const all = element.querySelectorAll('.turn');
  if (all.length > seen) all[all.length - 1].scrollIntoView({block: 'start', behavior: 'smooth'});
  seen = all.length;
}).observe(element, {childList: true, subtree: true});

// Python's one confirmation for a vote or comment lands next to the reply it is about, replacing the last one.
const feedback = document.querySelector('#feedback-status');
if (feedback) {
  new MutationObserver(() => {
    const said = feedback.querySelector('[data-turn]');
    if (!said) return;
    element.querySelectorAll('.vote-status').forEach((s) => { s.textContent = ''; });
    const here = element.querySelector(`.tools[data-turn="${said.dataset.turn}"] .vote-status`);
    if (here) here.textContent = said.textContent;
  }).observe(feedback, {childList: true, subtree: true, characterData: true});
}
