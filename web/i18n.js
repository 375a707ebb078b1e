// Translations and locale formatting. Dictionaries are i18n/<lang>.json (flat keys);
// t() fills {placeholders}; apply() translates the data-i18n* attributes of a subtree.
// Dates and numbers use Intl with the user's own locale for the chosen language
// (e.g. en-GB or en-US for English), so "1 234,5" vs "1,234.5" follows the browser.
export const LANGUAGES = ['ru', 'en'];
const STORE = 'shopfloor.lang';

let dict = {};
let lang = 'en';
let locale = 'en';

export function pickLanguage() {
  const saved = localStorage.getItem(STORE);
  if (LANGUAGES.includes(saved)) return saved;
  for (const l of navigator.languages || [navigator.language]) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

export async function load(wanted) {
  const res = await fetch(`/i18n/${wanted}.json`);
  if (!res.ok) throw new Error(`cannot load translations ${wanted}: ${res.status}`);
  dict = await res.json();
  lang = wanted;
  locale = (navigator.languages || []).find((l) => String(l).toLowerCase().startsWith(wanted)) || wanted;
  document.documentElement.lang = wanted;
  localStorage.setItem(STORE, wanted);
}

export const language = () => lang;

export function t(key, vars = {}) {
  const text = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(dict, key);
}

export function apply(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

export const statusName = (s) => t(`status.${s}`);

export function number(n) {
  return new Intl.NumberFormat(locale).format(n);
}

// A calendar date (YYYY-MM-DD): the same day everywhere, so formatted in UTC.
export function date(iso) {
  if (!iso) return '';
  const d = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

// A moment (RFC 3339): in the user's time zone.
export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

// The message for an API error: by code and field when there is a translation, else
// by code, else the generic one (the server's English text is never shown as is).
export function errorText(err, field) {
  if (field && has(`error.${err.code}.${field}`)) return t(`error.${err.code}.${field}`);
  if (has(`error.${err.code}`)) return t(`error.${err.code}`);
  return t('error.generic', { code: err.code || err.status });
}
