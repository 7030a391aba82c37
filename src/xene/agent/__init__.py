"""`xene agent`: executes pipeline runs for servers it reaches over HTTPS (mutual TLS),
and never sees their database.

    settings.py   what an agent is told: its servers, certificate, labels, capacity
    link.py       the connection to its servers, failing over from one to the next
    heartbeat.py  the heartbeat loop: on its own task and connection, never behind work
    outbox.py     a run's commits, spooled to disk and sent in order, each at least once
    agent.py      the agent's life: register, heartbeat, drain on SIGTERM

Its imports stay small (asyncio, ssl, httpx): an idle agent costs little memory.
"""
