// The console shell: sign-in, the view router (all state in the URL query, so any screen
// can be bookmarked and shared), the language switch, the live indicator, and the glue
// between the live stream and the current view.
import * as i18n from './i18n.js';
import * as api from './api.js';
import { Live } from './live.js';
import * as signin from './views/signin.js';
import * as orders from './views/orders.js';
import * as order from './views/order.js';
import * as dashboard from './views/dashboard.js';
import * as newOrder from './views/new_order.js';

const VIEWS = { orders, order, dashboard, new: newOrder };
const main = document.getElementById('main');
const nav = document.querySelector('[data-role="nav"]');
const liveBadge = document.getElementById('live');
const signoutButton = document.getElementById('signout');
const langSelect = document.getElementById('lang');

let current = null;
let signinMessage = null;

const live = new Live({
  getToken: api.token,
  onEvent: (event) => current && current.onEvent && current.onEvent(event),
  onState: showLiveState,
  onAuthError: () => signOut('signin.expired'),
});

function showLiveState(state) {
  liveBadge.dataset.state = state;
  liveBadge.textContent = i18n.t(state === 'live' ? 'live.on' : state === 'connecting' ? 'live.connecting' : 'live.off');
  liveBadge.title = i18n.t(state === 'live' ? 'live.title_on' : 'live.title_off');
}

// What every view gets.
const ctx = {
  navigate(url, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    route();
  },
  // The view's main answer, shown discreetly: X-Cache and the time it took.
  showMeta(target, meta) {
    if (!target || !meta) return;
    target.textContent = i18n.t('meta.answer', { cache: meta.cache, ms: i18n.number(Math.round(meta.ms * 10) / 10) });
    target.title = i18n.t('meta.cache_title');
    target.dataset.cache = meta.cache;
  },
  live,
};

function signOut(messageKey) {
  api.clearToken();
  live.stop();
  signinMessage = messageKey || null;
  route();
}

function route() {
  if (current && current.dispose) current.dispose();
  current = null;
  main.replaceChildren();
  const params = new URLSearchParams(location.search);
  const signedIn = Boolean(api.token());
  nav.hidden = !signedIn;
  signoutButton.hidden = !signedIn;
  liveBadge.hidden = !signedIn;
  if (!signedIn) {
    current = signin.mount(main, ctx, {
      message: signinMessage,
      onSignedIn: () => {
        signinMessage = null;
        route();
      },
    });
    return;
  }
  live.start();
  const name = VIEWS[params.get('view')] ? params.get('view') : 'orders';
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  current = VIEWS[name].mount(main, ctx, params);
}

// Same-origin links navigate inside the console (no reload), keyboard and mouse alike;
// modified clicks (new tab) are left to the browser.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname !== '/') return;
  e.preventDefault();
  ctx.navigate(url.pathname + url.search);
});
window.addEventListener('popstate', route);

signoutButton.addEventListener('click', () => signOut(null));
api.setUnauthorizedHandler(() => signOut('signin.expired'));

langSelect.addEventListener('change', async () => {
  await i18n.load(langSelect.value);
  i18n.apply(document);
  showLiveState(liveBadge.dataset.state || 'off');
  route();
});

async function start() {
  const lang = i18n.pickLanguage();
  langSelect.value = lang;
  await i18n.load(lang);
  i18n.apply(document);
  showLiveState('off');
  route();
}

start();
