"""The states of a connection in the event loop, in the order it passes
them: the TLS handshake, reading a request, answering it in the loop or in
a worker thread, closing, closed.  Plain constants; no behaviour."""

__all__ = ['HANDSHAKE', 'READING', 'ANSWERING', 'WORKER', 'CLOSING',
           'CLOSED']

HANDSHAKE, READING, ANSWERING, WORKER, CLOSING, CLOSED = range(6)
