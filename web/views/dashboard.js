// Dashboard: a card per status count, overdue and due today (each opens the matching
// list), the load per work centre as SVG bars, and when the answer was generated.
// Reloaded on every live event.
import * as api from '../api.js';
import * as i18n from '../i18n.js';
import { el, svg, fromTemplate } from '../dom.js';

function chart(rows) {
  if (!rows.length) return el('p', { class: 'empty', text: i18n.t('dash.load_empty') });
  const max = Math.max(1, ...rows.map((r) => r.in_progress));
  const bar = 18;
  const gap = 8;
  const labelWidth = 130;
  const width = 720;
  const height = rows.length * (bar + gap);
  const summary = rows.map((r) => i18n.t('dash.load_label', { work_center: r.work_center, count: i18n.number(r.in_progress) })).join('; ');
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'bars', role: 'img', 'aria-label': summary, preserveAspectRatio: 'xMinYMin meet' });
  rows.forEach((r, i) => {
    const y = i * (bar + gap);
    const w = Math.max(2, ((width - labelWidth - 70) * r.in_progress) / max);
    root.append(svg('g', { class: 'bar', 'data-work-center': r.work_center }, [
      svg('title', { text: i18n.t('dash.load_label', { work_center: r.work_center, count: i18n.number(r.in_progress) }) }),
      svg('text', { x: String(labelWidth - 8), y: String(y + bar / 2), class: 'label', 'text-anchor': 'end', 'dominant-baseline': 'middle', text: r.work_center }),
      svg('rect', { x: String(labelWidth), y: String(y), width: String(w), height: String(bar), rx: '3' }),
      svg('text', { x: String(labelWidth + w + 6), y: String(y + bar / 2), class: 'value', 'dominant-baseline': 'middle', text: i18n.number(r.in_progress) }),
    ]));
  });
  return root;
}

export function mount(main, ctx) {
  const view = fromTemplate('tpl-dashboard');
  i18n.apply(view.root);
  let disposed = false;
  let timer = null;

  const card = (key, label, count, href, cls) => el('li', { class: `card ${cls || ''}`, dataset: { card: key } },
    el('a', { href }, [el('span', { class: 'card-label', text: label }), el('span', { class: 'card-value', text: i18n.number(count) })]));

  function render(d) {
    const cards = view.role('cards');
    cards.replaceChildren(
      ...api.STATUSES.map((s) => card(s, i18n.statusName(s), d.by_status[s] || 0, `/?view=orders&status=${s}`, `status-${s}`)),
      card('overdue', i18n.t('dash.overdue'), d.overdue, '/?view=orders&overdue=true', 'alert'),
      card('due_today', i18n.t('dash.due_today'), d.due_today, '/?view=orders&status=new,approved,in_production,quality_check,ready&sort=due_date', 'soon'),
    );
    view.role('chart').replaceChildren(chart(d.by_work_center || []));
    const generated = view.role('generated');
    generated.replaceChildren(i18n.t('dash.generated', { at: '' }), el('time', { datetime: d.generated_at, text: i18n.dateTime(d.generated_at) }));
  }

  async function load() {
    try {
      const { data, meta } = await api.get('/dashboard');
      if (disposed) return;
      render(data);
      ctx.showMeta(view.role('meta'), meta);
      main.dataset.loaded = data.generated_at;
    } catch (err) {
      if (!disposed) view.role('cards').replaceChildren(el('li', { class: 'error', role: 'alert', text: i18n.errorText(err) }));
    }
  }

  main.append(view.root);
  load();
  return {
    onEvent() {
      clearTimeout(timer);
      timer = setTimeout(load, 50);
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
