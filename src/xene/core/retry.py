"""Retry maths: exponential backoff with jitter. Pure: randomness is passed in."""

from __future__ import annotations

from xene.ir import RetryPolicy


def should_retry(policy: RetryPolicy, attempt: int) -> bool:
    """After failed attempt number `attempt` (from 1), is there another?"""
    return attempt < policy.max_attempts


def backoff_ms(policy: RetryPolicy, attempt: int, random: float) -> float:
    """Delay before attempt `attempt + 1`, in milliseconds.

    `initial * multiplier ** (attempt - 1)`, capped at `max_delay_ms`; with jitter the
    delay is drawn uniformly from [delay / 2, delay] ("equal jitter"), so that retries of
    many nodes spread out but never wait less than half the nominal delay.
    `random` is a number in [0, 1).
    """
    nominal = policy.initial_delay_ms * policy.backoff_multiplier ** max(attempt - 1, 0)
    delay = min(nominal, float(policy.max_delay_ms))
    if policy.jitter:
        delay = delay / 2 + delay / 2 * random
    return max(delay, 0.0)
