// Orders: the list with every contract filter (status chips with counts, customer, work
// centre, overdue), sort by column, paging with the total and page size. All of it lives
// in the URL query (view=orders&status=new,approved&sort=-due_date&page=2…), so a screen
// can be bookmarked and shared; the API gets the same parameters. Live events reload the
// page in place (rows that changed flash).
import * as api from '../api.js';
import * as i18n from '../i18n.js';
import { el, fromTemplate } from '../dom.js';

const COLUMNS = [
  { key: 'number', sort: 'number' },
  { key: 'customer' },
  { key: 'product_sku', optional: true },
  { key: 'quantity', numeric: true, optional: true },
  { key: 'status' },
  { key: 'priority', sort: 'priority', numeric: true },
  { key: 'work_center' },
  { key: 'due_date', sort: 'due_date' },
  { key: 'created_at', sort: 'created_at', optional: true },
];
const DEFAULT_SORT = '-created_at';
const DEFAULT_PAGE_SIZE = 50;
const PAGE_SIZES = [10, 25, 50, 100, 200];
export const LAST_LIST = 'shopfloor.lastList';

// URL query → the list's state, normalised (unknown values fall back to defaults).
export function stateFrom(params) {
  const statuses = (params.get('status') || '').split(',').filter((s) => api.STATUSES.includes(s));
  const sort = params.get('sort') || DEFAULT_SORT;
  const sortKey = sort.replace(/^-/, '');
  const size = Number(params.get('page_size'));
  return {
    status: api.STATUSES.filter((s) => statuses.includes(s)),
    customer: params.get('customer') || '',
    work_center: params.get('work_center') || '',
    overdue: params.get('overdue') === 'true',
    sort: COLUMNS.some((c) => c.sort === sortKey) ? sort : DEFAULT_SORT,
    page: Math.max(1, Math.floor(Number(params.get('page'))) || 1),
    page_size: PAGE_SIZES.includes(size) ? size : DEFAULT_PAGE_SIZE,
  };
}

// The list's state → query parameters (defaults left out: one URL per screen).
export function queryOf(state, { forApi = false } = {}) {
  const q = new URLSearchParams();
  if (!forApi) q.set('view', 'orders');
  if (state.status.length) q.set('status', state.status.join(','));
  if (state.customer) q.set('customer', state.customer);
  if (state.work_center) q.set('work_center', state.work_center);
  if (state.overdue) q.set('overdue', 'true');
  if (state.sort !== DEFAULT_SORT) q.set('sort', state.sort);
  if (state.page > 1) q.set('page', String(state.page));
  if (state.page_size !== DEFAULT_PAGE_SIZE) q.set('page_size', String(state.page_size));
  return q.toString();
}

export function mount(main, ctx, params) {
  const state = stateFrom(params);
  const view = fromTemplate('tpl-orders');
  i18n.apply(view.root);
  const form = view.role('filters');
  const rows = view.role('rows');
  let disposed = false;
  let firstPaint = true;
  let generation = 0;
  let reloadTimer = null;
  let flash = new Set();
  let counts = {};

  sessionStorage.setItem(LAST_LIST, `/?${queryOf(state)}`);
  form.elements.customer.value = state.customer;
  form.elements.work_center.value = state.work_center;
  form.elements.overdue.checked = state.overdue;
  view.role('page-size').value = String(state.page_size);

  const go = (changes, { replace = false } = {}) => {
    const next = { ...state, page: 1, ...changes };
    ctx.navigate(`/?${queryOf(next)}`, { replace });
  };

  // Status chips: toggles (aria-pressed), each with its count under the other filters.
  const chips = view.role('chips');
  for (const s of api.STATUSES) {
    const pressed = state.status.includes(s);
    chips.append(
      el('button', {
        type: 'button',
        class: `chip status-${s}`,
        'aria-pressed': pressed ? 'true' : 'false',
        dataset: { status: s },
        onclick: () => {
          const set = new Set(state.status);
          if (set.has(s)) set.delete(s);
          else set.add(s);
          go({ status: api.STATUSES.filter((x) => set.has(x)) });
        },
      }, [el('span', { class: 'chip-label', text: i18n.statusName(s) }), ' ', el('span', { class: 'count', dataset: { count: s } })]),
    );
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go({
      customer: form.elements.customer.value.trim(),
      work_center: form.elements.work_center.value.trim(),
      overdue: form.elements.overdue.checked,
    });
  });
  form.elements.overdue.addEventListener('change', () => form.requestSubmit());
  view.role('clear').addEventListener('click', () => go({ status: [], customer: '', work_center: '', overdue: false }));
  view.role('page-size').addEventListener('change', (e) => go({ page_size: Number(e.target.value) }));
  view.role('prev').addEventListener('click', () => go({ page: state.page - 1 }));
  view.role('next').addEventListener('click', () => go({ page: state.page + 1 }));

  // Header: sortable columns are buttons; aria-sort tells the current order.
  const head = view.role('head');
  const sortKey = state.sort.replace(/^-/, '');
  const descending = state.sort.startsWith('-');
  for (const c of COLUMNS) {
    const label = i18n.t(`col.${c.key}`);
    const th = el('th', { scope: 'col', class: [c.optional ? 'optional' : '', c.numeric ? 'num' : ''].join(' ').trim() || null, dataset: { col: c.key } });
    if (c.sort) {
      const active = sortKey === c.sort;
      if (active) th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      th.append(el('button', {
        type: 'button',
        class: 'sort',
        dataset: { sort: c.sort },
        title: i18n.t('sort.by', { column: label }),
        onclick: () => go({ sort: active && !descending ? `-${c.sort}` : c.sort }),
      }, [label, el('span', { class: 'arrow', 'aria-hidden': 'true', text: active ? (descending ? '▼' : '▲') : '↕' })]));
    } else {
      th.textContent = label;
    }
    head.append(th);
  }

  function renderRows(data) {
    const pages = Math.max(1, Math.ceil(data.total / data.page_size));
    const sortColumn = COLUMNS.find((c) => c.sort === sortKey);
    view.role('caption').textContent = i18n.t('orders.caption', {
      column: i18n.t(`col.${sortColumn.key}`),
      direction: i18n.t(descending ? 'sort.descending' : 'sort.ascending'),
      page: i18n.number(data.page),
      pages: i18n.number(pages),
    });
    const fragment = document.createDocumentFragment();
    for (const o of data.items) {
      const href = `/?view=order&number=${encodeURIComponent(o.number)}`;
      const tr = el('tr', { dataset: { number: o.number }, class: flash.has(o.number) ? 'flash' : null });
      tr.append(
        el('td', {}, el('a', { href, text: o.number })),
        el('td', { class: 'customer', text: o.customer }),
        el('td', { class: 'optional', text: o.product_sku }),
        el('td', { class: 'num optional', text: i18n.number(o.quantity) }),
        el('td', {}, el('span', { class: `badge status-${o.status}`, dataset: { status: o.status }, text: i18n.statusName(o.status) })),
        el('td', { class: 'num', text: String(o.priority) }),
        el('td', { text: o.work_center }),
        el('td', { text: i18n.date(o.due_date), dataset: { value: o.due_date } }),
        el('td', { class: 'optional', text: i18n.dateTime(o.created_at), dataset: { value: o.created_at } }),
      );
      // The whole row opens the order for mouse users; keyboard users have the link.
      tr.addEventListener('click', (e) => {
        if (e.target.closest('a') || window.getSelection().toString()) return;
        ctx.navigate(href);
      });
      fragment.append(tr);
    }
    rows.replaceChildren(fragment);
    flash = new Set();
    view.role('empty').hidden = data.items.length > 0;
    const from = data.total === 0 ? 0 : (data.page - 1) * data.page_size + 1;
    const to = Math.min(data.total, (data.page - 1) * data.page_size + data.items.length);
    view.role('summary').textContent = data.total === 0
      ? i18n.t('pager.none')
      : i18n.t('pager.summary', { from: i18n.number(from), to: i18n.number(to), total: i18n.number(data.total) });
    view.role('summary').dataset.total = String(data.total);
    view.role('page').textContent = i18n.t('pager.page', { page: i18n.number(data.page), pages: i18n.number(pages) });
    view.role('prev').disabled = data.page <= 1;
    view.role('next').disabled = data.page >= pages;
  }

  function renderCounts() {
    for (const s of api.STATUSES) {
      const badge = chips.querySelector(`[data-count="${s}"]`);
      const chip = badge.parentElement;
      if (counts[s] === undefined) continue;
      badge.textContent = i18n.number(counts[s]);
      chip.setAttribute('aria-label', `${i18n.statusName(s)}: ${i18n.t('filter.count', { count: i18n.number(counts[s]) })}`);
    }
  }

  // Counts per status under the other filters: the dashboard's exact counters when there
  // are none, else one page_size=1 list query per status (cached like any list).
  async function loadCounts(mine) {
    const others = { ...state, status: [], page: 1, page_size: 1, sort: DEFAULT_SORT };
    if (!state.customer && !state.work_center && !state.overdue) {
      const { data } = await api.get('/dashboard');
      if (mine === generation) counts = data.by_status;
    } else {
      const answers = await Promise.all(api.STATUSES.map((s) => api.get(`/orders?${queryOf({ ...others, status: [s] }, { forApi: true })}`)));
      if (mine === generation) answers.forEach((a, i) => { counts[api.STATUSES[i]] = a.data.total; });
    }
    if (mine === generation && !disposed) renderCounts();
  }

  async function load() {
    const mine = ++generation;
    try {
      const { data, meta } = await api.get(`/orders?${queryOf(state, { forApi: true })}`);
      if (disposed || mine !== generation) return;
      renderRows(data);
      ctx.showMeta(view.role('meta'), meta);
      if (firstPaint) {
        firstPaint = false;
        // Painted at the next frame: what the browser test reads as the first list paint.
        requestAnimationFrame(() => {
          performance.mark('orders-first-paint');
          document.body.dataset.listPainted = 'true';
        });
      }
      main.dataset.loaded = String(mine);
      loadCounts(mine).catch(() => {});
    } catch (err) {
      if (disposed || mine !== generation) return;
      rows.replaceChildren(el('tr', {}, el('td', { colspan: String(COLUMNS.length), class: 'error', role: 'alert', text: i18n.errorText(err) })));
    }
  }

  main.append(view.root);
  load();
  return {
    onEvent(event) {
      if (event.data && Array.isArray(event.data.orders)) for (const n of event.data.orders) flash.add(n);
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(load, 50);  // a burst of events: one reload
    },
    dispose() {
      disposed = true;
      clearTimeout(reloadTimer);
    },
  };
}
