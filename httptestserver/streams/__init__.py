"""Long-lived answers: Server-Sent Events streams and WebSocket endpoints
with their sessions.  May import :mod:`httptestserver.answers` and below.
"""
