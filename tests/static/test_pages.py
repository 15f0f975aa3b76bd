"""The pages a static mount writes itself (``static/pages.py``): the
directory listing, its names escaped and its links percent-encoded, as a
real client gets it.
"""
from httptestserver import Server
from httptestserver.static.mounts import serve_directory

from _static_site import get


def test_listing_escapes_names_and_hides_sidecars(root):
    with Server().start() as server:
        serve_directory(server, '/', root, listing=True)
        top = get(server, '/')
        sub = get(server, '/empty/')
    assert top.status_code == 200
    assert top.headers['Content-Type'] == 'text/html; charset=utf-8'
    assert '<a href="hello.txt">hello.txt</a>' in top.text
    assert '<a href="docs/">docs/</a>' in top.text
    assert '.headers' not in top.text
    assert 'outside-link' not in top.text
    assert '<a href="../">' not in top.text
    assert '&lt;b&gt;&amp;amp;.txt' in sub.text
    assert '<b>' not in sub.text
    assert 'href="%3Cb%3E%26amp%3B.txt"' in sub.text
    assert '<a href="../">' in sub.text
