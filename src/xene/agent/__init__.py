"""`xene agent`: executes pipeline runs for servers it reaches over HTTPS (mutual TLS),
and never sees their database.

    settings.py      what an agent is told: its servers, certificate, labels, capacity
    link.py          the connection to its servers, failing over from one to the next
    heartbeat.py     the heartbeat loop: on its own task and connection, never behind work
    calls.py         the agent routes its work calls: claims, commits, approvals
    work.py          long polls for runs while it has room; heartbeat replies applied
    held.py          one run held: executed through Engine.recover, fenced at once
    remote_store.py  the store such an execution commits through (its outbox)
    outbox.py        a run's commits, spooled to disk and sent in order, each at least once
    agent.py         the agent's life: register, heartbeat, work, drain on SIGTERM

Its imports stay small (asyncio, ssl, httpcore): an idle agent costs little memory; the
engine is imported with the first run it claims.
"""
