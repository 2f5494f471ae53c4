//! Reusable building blocks: sources, finite queues, server pools,
//! resilience (timeouts, retries, circuit breaker, bulkhead, token bucket,
//! load shedder). Blocks are passive state machines: a world owns the event
//! queue and asks a block what happens next.
