//! Balancing and routing policies shared by the worlds: round robin,
//! random, weighted random, weighted round robin, least loaded (join the
//! shortest queue), power of two choices and health-aware.
