"""Responses made once: the store keeps the :class:`Response` built from
each plain spec, so a route that answers the same bytes every time builds
them once.  What may be kept is decided here; no sockets, no threads.
"""

__all__ = ['ResponseCache']

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, Optional  # noqa: F401
    from ..answers.responses import Response  # noqa: F401


class ResponseCache(object):
    """The :class:`Response` made from each plain spec, so that a route
    answering the same bytes every time makes them once.

    Only responses nobody changes are kept: no streamed body (an iterator
    answers once), no faults (each request draws its own plan), no
    takeover; callables are never asked.  Keyed by the spec object itself
    (its identity: a route's spec, or the store's cached settings spec), at
    most :attr:`size` of them.  Thread-safe (single dict operations).
    """

    size = 256

    def __init__(self):
        self._kept = {}  # type: Dict[int, Any]

    def get(self, spec):
        # type: (Any) -> Optional[Response]
        """Return the response kept for *spec*, or None."""
        kept = self._kept.get(id(spec))
        if kept is not None and kept[0] is spec:
            return kept[1]
        return None

    def keep(self, spec, response):
        # type: (Any, Response) -> None
        """Keep *response* for *spec* if it can be shared."""
        if spec is None or callable(spec) or response.streamed or \
                response.faults or response.takeover is not None:
            return
        if len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[id(spec)] = (spec, response)

    def clear(self):
        """Forget every response kept."""
        self._kept.clear()
