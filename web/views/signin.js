// Sign-in: a bearer token (operator or admin), checked against the API before it is kept
// in sessionStorage (this tab only; never in a URL).
import * as api from '../api.js';
import * as i18n from '../i18n.js';
import { fromTemplate } from '../dom.js';

export function mount(main, ctx, { message, onSignedIn }) {
  const view = fromTemplate('tpl-signin');
  i18n.apply(view.root);
  const form = view.role('form');
  const error = view.role('error');
  const input = form.elements.token;
  const show = (key) => {
    error.textContent = i18n.t(key);
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  };
  if (message) show(message);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) return show('signin.empty');
    form.querySelector('button').disabled = true;
    try {
      // Any operator route tells whether the token is accepted and its role allowed.
      await api.get('/dashboard', { auth: value });
      api.setToken(value);
      onSignedIn();
    } catch (err) {
      form.querySelector('button').disabled = false;
      if (err.status === 401) show('signin.invalid');
      else if (err.status === 403) show('signin.forbidden');
      else {
        error.textContent = i18n.errorText(err);
        error.hidden = false;
      }
      input.focus();
      input.select();
    }
  });
  main.append(view.root);
  input.focus();
  return {};
}
