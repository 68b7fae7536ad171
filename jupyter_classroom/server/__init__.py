"""Transports: the signaling WebSocket and the service behind it."""
