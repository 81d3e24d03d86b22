"""Property test: canonical_url is a canonical form (applying it twice changes nothing) and it
never drops a parameter that is not a tracker."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from monitor.feeds import canonical_url
from monitor.feeds.urls import is_tracking

# characters that are legal, reserved or awkward in each part of an http(s) URL
_PART = st.text(alphabet="aZ09-._~%!$'()*+,;:@/ éö?=", max_size=12)
_NAME = st.one_of(
    st.sampled_from(["id", "p", "page", "share", "cmp", "ito", "utm_source", "fbclid", "gclid"]),
    st.text(alphabet="abcXYZ_-.%09", min_size=1, max_size=8),
)

urls = st.builds(
    lambda scheme, host, port, path, query, fragment: (
        f"{scheme}://{host}{port}/{path}"
        + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
        + (f"#{fragment}" if fragment else "")
    ),
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    st.sampled_from(
        ["n.example", "News.Example.org", "xn--bcher-kva.example", "[::1]", "127.0.0.1"]
    ),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    _PART,
    st.lists(st.tuples(_NAME, _PART.filter(lambda v: "&" not in v and "#" not in v)), max_size=4),
    _PART,
)


@given(urls)
def test_canonical_of_canonical_is_canonical(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(urls)
def test_no_fragment_default_port_or_tracker_survives(url: str) -> None:
    parts = urlsplit(canonical_url(url))
    assert parts.fragment == ""
    assert parts.scheme == parts.scheme.lower() and parts.netloc == parts.netloc.lower()
    assert parts.port != {"http": 80, "https": 443}[parts.scheme]
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    assert not any(is_tracking(name) for name in names)


@given(urls)
def test_every_other_parameter_survives(url: str) -> None:
    query = urlsplit(url.partition("#")[0]).query
    wanted = {n for n, _ in parse_qsl(query, keep_blank_values=True) if not is_tracking(n)}
    kept = {n for n, _ in parse_qsl(urlsplit(canonical_url(url)).query, keep_blank_values=True)}
    assert wanted <= kept
