"""How a run authenticates at the target, beyond the bearer token, and the way it goes there.

`TargetAuth` is what `--header`, Basic auth, an API key (in a header or the query), a client certificate
and `--proxy` make of the options (engine/config.py checks them and builds it): the headers sent on every
request, the query parameter added to every URL, the certificate, the proxy, the secrets to mask (each with
its placeholder) and the curl options a reproduction line needs. The guarded session (http.py) applies it
to every request it sends, schemathesis' included, so the two kinds of request cannot differ; as the
session sends only to the target's origin, none of it reaches another host.

An API key in the query is added to the URL as it goes out and taken off the request's URL again once
the answer is in: every check, cache key, recording and report sees the URL the run meant to send, so the
key is never taken for a filter or paging parameter, and never written (it is masked too, should the
target echo it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

# The placeholders written where each kind of secret was (the token's is redaction.TOKEN_PLACEHOLDER); each
# names the variable a reader would set the value in to replay a curl line.
API_KEY_PLACEHOLDER = "$APICONFORM_API_KEY"
BASIC_PASSWORD_PLACEHOLDER = "$APICONFORM_BASIC_PASSWORD"


@dataclass(frozen=True)
class TargetAuth:
    """The credentials and route of a run's requests besides the bearer token; the default sends nothing more."""

    # Sent on every request to the target, in this order: --header values, Basic's Authorization, the API key.
    headers: tuple[tuple[str, str], ...] = ()
    # (name, value) of the API key in the query string (--api-key-query).
    query: tuple[str, str] | None = None
    client_cert: str | None = None
    client_key: str | None = None
    proxy: str | None = None  # scheme://[user:password@]host:port
    # Every secret value above with the text that replaces it in everything the run writes.
    secrets: tuple[tuple[str, str], ...] = ()
    # The curl options that reproduce all of the above, with placeholders for the secrets.
    curl_options: str = ""
    # What was used, in words for the report (never a value): "header X-Tenant", "basic", "api key in query api_key".
    forms: tuple[str, ...] = ()

    @property
    def cert(self) -> str | tuple[str, str] | None:
        """requests' `cert`: the certificate file, or (certificate, key)."""
        if self.client_cert is None:
            return None
        return (self.client_cert, self.client_key) if self.client_key else self.client_cert

    @property
    def proxies(self) -> dict[str, str]:
        """requests' `proxies`: the one proxy for both schemes, or none."""
        return {"http": self.proxy, "https": self.proxy} if self.proxy else {}

    def keyed(self, url: str) -> str:
        """`url` with the API key added to its query (first: schemathesis' own parameters follow it)."""
        if self.query is None:
            return url
        base, question, query = url.partition("?")
        pair = self._pair()
        return f"{base}?{pair}&{query}" if question and query else f"{base}?{pair}"

    def unkeyed(self, url: str) -> str:
        """`url` without the API key's `name=value` pair (the URL the run meant to send)."""
        if self.query is None or "?" not in url:
            return url
        base, _, rest = url.partition("?")
        query, hash_mark, fragment = rest.partition("#")
        pieces = query.split("&")
        pair = self._pair()
        if pair in pieces:
            pieces.remove(pair)
        kept = "&".join(pieces)
        return base + (f"?{kept}" if kept else "") + (hash_mark + fragment)

    def take_key_off(self, response: Any) -> None:
        """Take the API key off a requests response's URL and its request's, once the answer is in."""
        if self.query is None:
            return
        holders: list[Any] = [response, getattr(response, "request", None)]
        for holder in holders:
            url = getattr(holder, "url", None)
            if isinstance(url, str):
                holder.url = self.unkeyed(url)

    def _pair(self) -> str:
        assert self.query is not None
        name, value = self.query
        return f"{quote(name, safe='')}={quote(value, safe='')}"


def proxy_origin(proxy: str) -> str:
    """The proxy's `scheme://host:port`, without user info (for the report and messages)."""
    parts = urlsplit(proxy)
    port = f":{parts.port}" if parts.port else ""
    host = parts.hostname or ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}"
