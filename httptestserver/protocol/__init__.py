"""The wire without I/O: bytes in, events out; events in, bytes out.

HTTP/1.1 (:mod:`.events`, :mod:`.reader`, :mod:`.writer`, and
:mod:`.connection`, the one object that owns a connection's state),
request-part decoding (:mod:`.parts`: query, cookies, forms, JSON, with
:mod:`.multipart` and :mod:`.params`) and the WebSocket protocol
(:mod:`.websocket`: handshake, frames and codec).  No sockets, threads or
clocks; may import only ``errors``, ``_compat`` and ``headers``.
"""
from .connection import ServerConnection
from .websocket import Close, Failure, Message, Ping, Pong, Protocol, \
    encode_frame, handshake

#: The sans-IO pieces users drive directly in their own tests: the
#: WebSocket codec (to send raw frames) and the HTTP/1.1 connection.
__all__ = ['ServerConnection', 'Protocol', 'encode_frame', 'handshake',
           'Message', 'Ping', 'Pong', 'Close', 'Failure']
