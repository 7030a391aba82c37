"""Triggers: what starts runs in `xene serve` without anyone asking.

- `base`: `TriggerEvent`, `Emit` and the two-member `TriggerSource` protocol.
- `schedule`: cron maths (pure); `cron`: the cron trigger loop.
- `files`: the filesystem trigger (watchfiles, from the `server` extra), limited to roots.
- `webhook`: signature, token, body and delivery-id helpers for the server's hook route.
- `controller`: `TriggerController`, which converges running triggers to the applied
  workflows and restarts crashed ones.
"""
