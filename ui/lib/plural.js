// Plural words by each language's rule ("1 artículo", "2 artículos"). Pure, for `node --test`.

/** The dictionary key for `n` of something: `key.one` (or `.few`, `.many`) when the language
 * has that form and `has` finds it, else `key` itself. */
export function pluralKey(lang, key, n, has) {
  const form = `${key}.${new Intl.PluralRules(lang).select(n)}`;
  return has(form) ? form : key;
}
