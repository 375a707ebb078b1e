// New order: the form for POST /orders. The API validates (the form has novalidate, so
// the rules live in one place); its errors are shown beside the field they name, in the
// user's language, and focus moves to the first one.
import * as api from '../api.js';
import * as i18n from '../i18n.js';
import { el, fromTemplate } from '../dom.js';

const FIELDS = ['customer', 'product_sku', 'quantity', 'work_center', 'due_date', 'priority'];

// Which field an API error is about: its code, or the field name its message starts with.
export function fieldOf(err) {
  if (err.code === 'unknown_product') return 'product_sku';
  if (err.code === 'unknown_work_center') return 'work_center';
  const first = String(err.message || '').split(/[\s:]/)[0];
  if (FIELDS.includes(first)) return first;
  const named = FIELDS.find((f) => String(err.message || '').includes(f));
  return named || null;
}

export function mount(main, ctx) {
  const view = fromTemplate('tpl-new');
  i18n.apply(view.root);
  const form = view.role('form');
  const general = view.role('error');

  // Work centres known from the dashboard, as suggestions.
  api.get('/dashboard').then(({ data }) => {
    view.role('work-centers').replaceChildren(...(data.by_work_center || []).map((w) => el('option', { value: w.work_center })));
  }).catch(() => {});

  const clear = () => {
    general.hidden = true;
    for (const f of FIELDS) {
      form.elements[f].removeAttribute('aria-invalid');
      form.querySelector(`[data-error="${f}"]`).textContent = '';
    }
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    const v = (name) => form.elements[name].value.trim();
    const body = { customer: v('customer'), product_sku: v('product_sku'), work_center: v('work_center'), due_date: v('due_date'), priority: Number(v('priority')) };
    // Sent as typed when it is not a whole number, so the API says what is wrong with it.
    body.quantity = /^-?\d+$/.test(v('quantity')) ? Number(v('quantity')) : v('quantity');
    for (const key of Object.keys(body)) if (body[key] === '') delete body[key];
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const { data } = await api.post('/orders', body);
      ctx.navigate(`/?view=order&number=${encodeURIComponent(data.number)}`);
    } catch (err) {
      button.disabled = false;
      const field = err.status === 400 ? fieldOf(err) : null;
      if (field) {
        form.elements[field].setAttribute('aria-invalid', 'true');
        form.querySelector(`[data-error="${field}"]`).textContent = i18n.errorText(err, field);
        form.elements[field].focus();
      } else {
        general.textContent = i18n.errorText(err);
        general.hidden = false;
        general.focus?.();
      }
    }
  });
  main.append(view.root);
  form.elements.customer.focus();
  return {};
}
