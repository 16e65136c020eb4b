"""The desk pages' frame: one stylesheet (no inline style or script), the language switch, sign-out."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from aiohttp import web

from streams.web.i18n import LANG_COOKIE, LOCALES, Translator, negotiate, translator
from streams.web.identity import IDENTITY, Identity

_LANG_NAMES = {"en": "English", "ja": "日本語"}


def viewer(request: web.Request, zone: str) -> Translator:
    """The translator for this request's viewer, in ``zone``."""
    lang = negotiate(
        request.query.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("Accept-Language", ""),
    )
    return translator(lang, zone)


def hidden(**fields: str) -> str:
    """Hidden form fields, escaped."""
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items())


def _switch(request: web.Request, t: Translator) -> str:
    links = []
    for lang in LOCALES:
        if lang == t.lang:
            links.append(f'<strong lang="{lang}">{_LANG_NAMES[lang]}</strong>')
            continue
        query = urlencode({**{k: v for k, v in request.query.items() if k != "lang"}, "lang": lang})
        links.append(
            f'<a lang="{lang}" hreflang="{lang}" href="{escape(request.path)}?{escape(query)}">'
            f"{_LANG_NAMES[lang]}</a>"
        )
    return " · ".join(links)


def page(
    request: web.Request, t: Translator, title: str, body: str, *, csrf: str | None = None
) -> web.Response:
    """A full desk page; remembers a language picked with ``?lang=``."""
    who = request.get(IDENTITY)
    bar = ""
    if isinstance(who, Identity):
        out = ""
        if csrf:
            out = (
                f'<form method="post" action="/signout" class="inline">{hidden(csrf=csrf)}'
                f'<button type="submit" class="link">{escape(t("Sign out"))}</button></form>'
            )
        bar = (
            f'<span class="who">{escape(who.name)} ({escape(t(who.role))})</span> '
            f'<a href="/">{escape(t("My queues"))}</a> {out}'
        )
    html = (
        f'<!doctype html><html lang="{t.lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)} · Handoff</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/assets/desk.css"></head><body>'
        f'<header><nav>{bar}</nav><nav class="lang">{_switch(request, t)}</nav></header>'
        f"<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    response = web.Response(text=html, content_type="text/html")
    if request.query.get("lang") in LOCALES:
        response.set_cookie(LANG_COOKIE, t.lang, max_age=365 * 86400, httponly=True, samesite="Lax")
    return response
