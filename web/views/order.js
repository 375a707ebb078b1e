// One order: its fields, the history as a timeline, and a button for exactly each
// transition the contract's table allows from its status (with an optional comment).
// A 409 (someone else moved it first) is said as such and the order is reloaded; a live
// event about this order reloads it too.
import * as api from '../api.js';
import * as i18n from '../i18n.js';
import { el, fromTemplate } from '../dom.js';
import { LAST_LIST } from './orders.js';

const FIELDS = ['customer', 'product_sku', 'quantity', 'status', 'priority', 'work_center', 'due_date', 'created_at', 'updated_at'];

export function mount(main, ctx, params) {
  const number = params.get('number') || '';
  const view = fromTemplate('tpl-order');
  i18n.apply(view.root);
  view.role('back').href = sessionStorage.getItem(LAST_LIST) || '/?view=orders';
  view.role('title').textContent = i18n.t('order.title', { number });
  const notice = view.role('notice');
  const comment = view.root.querySelector('#move-comment');
  let disposed = false;
  let busy = false;
  let order = null;

  const say = (text, kind = 'info') => {
    notice.textContent = text;
    notice.dataset.kind = kind;
    notice.hidden = !text;
  };

  function value(key, o) {
    if (key === 'status') return el('span', { class: `badge status-${o.status}`, dataset: { status: o.status }, text: i18n.statusName(o.status) });
    if (key === 'quantity') return i18n.number(o.quantity);
    if (key === 'due_date') return i18n.date(o.due_date);
    if (key === 'created_at' || key === 'updated_at') return i18n.dateTime(o[key]);
    return String(o[key]);
  }

  function render(o) {
    order = o;
    view.role('body').hidden = false;
    const dl = view.role('fields');
    dl.replaceChildren();
    for (const key of FIELDS) {
      dl.append(el('div', { class: 'field', dataset: { field: key } }, [el('dt', { text: i18n.t(`col.${key}`) }), el('dd', {}, value(key, o))]));
    }
    const allowed = api.TRANSITIONS[o.status] || [];
    const buttons = view.role('buttons');
    buttons.replaceChildren();
    for (const to of allowed) {
      buttons.append(el('button', {
        type: 'button',
        class: `move status-${to}`,
        dataset: { to },
        'aria-label': i18n.t('order.to_label', { status: i18n.statusName(to) }),
        text: i18n.t('order.to', { status: i18n.statusName(to) }),
        onclick: () => move(to),
      }));
    }
    view.role('move').hidden = allowed.length === 0;
    view.role('final').hidden = allowed.length > 0;
    const history = view.role('history');
    history.replaceChildren();
    for (const h of o.history || []) {
      history.append(el('li', { class: `step status-${h.to}` }, [
        el('time', { datetime: h.at, text: i18n.dateTime(h.at) }),
        el('span', { class: 'transition', text: i18n.t('order.history_item', { from: i18n.statusName(h.from), to: i18n.statusName(h.to) }) }),
        h.comment ? el('p', { class: 'comment', text: h.comment }) : null,
      ]));
    }
    view.role('history-empty').hidden = (o.history || []).length > 0;
    main.dataset.orderStatus = o.status;
  }

  async function load() {
    try {
      const { data, meta } = await api.get(`/orders/${encodeURIComponent(number)}`);
      if (disposed) return;
      render(data);
      ctx.showMeta(view.role('meta'), meta);
    } catch (err) {
      if (disposed) return;
      view.role('body').hidden = true;
      say(err.status === 404 ? i18n.t('order.notfound') : i18n.errorText(err), 'error');
    }
  }

  async function move(to) {
    if (busy) return;
    busy = true;
    for (const b of view.role('buttons').querySelectorAll('button')) b.disabled = true;
    const body = { status: to };
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      const { data } = await api.post(`/orders/${encodeURIComponent(number)}/status`, body);
      comment.value = '';
      say(i18n.t('order.moved', { status: i18n.statusName(data.status) }));
      await load();
    } catch (err) {
      if (err.status === 409) {
        say(i18n.t('order.conflict'), 'conflict');
        await load();
      } else {
        say(err.code === 'invalid_value' ? i18n.errorText(err, 'comment') : i18n.errorText(err), 'error');
        for (const b of view.role('buttons').querySelectorAll('button')) b.disabled = false;
      }
    } finally {
      busy = false;
      view.role('title').focus();
    }
  }

  main.append(view.root);
  load();
  return {
    onEvent(event) {
      const mentions = event.type === 'reset' || event.data.all || (event.data.orders || []).includes(number);
      if (!mentions || busy) return;
      const before = order && order.status;
      load().then(() => {
        // A conflict notice already says that someone else moved it (a live event and
        // this operator's refused click can cross): keep it rather than replace it.
        if (notice.dataset.kind === 'conflict') return;
        if (!disposed && order && before && order.status !== before) say(i18n.t('order.changed_live'));
      });
    },
    dispose() {
      disposed = true;
    },
  };
}
