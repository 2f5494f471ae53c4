//! BPR road travel times, Wardrop user equilibrium and system optimum (see the traffic world).
