"""What an operator sees and does with a zone's ferry (DESIGN §3 "Operate").

Status figures and Prometheus metrics, safe summaries of quarantined documents, and the operator
actions (release, discard, clear an alarm), each with an actor and a reason. It reads what the
agent records; the agent never depends on it.
"""
