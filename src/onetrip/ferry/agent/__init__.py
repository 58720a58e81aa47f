"""The ferry agent of a zone: the pass that moves messages (DESIGN §3).

The outbox a zone's services write into, the handlers that apply incoming messages, the sender
(outbox → signed batches, acks, resends, heartbeats), the receiver (verify, apply exactly once,
acknowledge, park, quarantine), the channel state, the alarms and audit events the agent raises
as it works, and the loop that runs one pass after another.
"""
