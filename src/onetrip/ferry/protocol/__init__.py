"""The ferry protocol: what crosses the boundary and how it is checked (DESIGN §3).

Channels, the message envelope and its canonical JSON, batch / ack / resend / heartbeat documents,
Ed25519 signing keys and the optional X25519 sealing of batch bodies. Pure: no database, no
transport, no agent; both zones and the operator tools build on it.
"""
