"""Locales of the catalog without a database: a localized text's pick and a requested locale's match."""

import re


def locale_text(texts: dict, locale: str) -> str:
    """A localized text: the exact locale, else the same language, else any, else ''."""
    if not texts:
        return ""
    if locale in texts:
        return texts[locale]
    language = locale.split("-")[0].lower()
    for key, value in texts.items():
        if key.split("-")[0].lower() == language:
            return value
    return next(iter(texts.values()))


# The locales the platform's data sources page offers for `?locale=` (de_DE ... zh_CN), in this
# server's spelling: the data source list knows them whatever NEXUS_LOCALES says.
PLATFORM_LOCALES = ("de-DE", "en-IE", "en-US", "es-ES", "fr-FR", "it-IT", "ja-JP", "nl-NL", "pt-BR", "ru-RU", "zh-CN")

LOCALE_FORM = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def locale_match(raw: str, *, known: dict[str, str], default: str) -> str | None:
    """A requested locale in its known spelling among `known` (by lower-case form), or None.
    'en-ie' and POSIX 'en_IE' are 'en-IE'; a bare language ('nl') is `default` when it is of that
    language, else the first known locale of it, as descriptions fall back by language anyway."""
    wanted = raw.replace("_", "-").lower() if len(raw) <= 35 else ""
    found = known.get(wanted)
    if found is None and wanted and "-" not in wanted:
        same = sorted(name for key, name in known.items() if key.split("-")[0] == wanted)
        found = default if default in same else next(iter(same), None)
    return found
