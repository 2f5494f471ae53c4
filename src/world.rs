//! The four worlds. Each is typed parameters (deserialised from a
//! scenario's RON) plus the wiring of blocks, its event handling and its
//! metrics, behind the [`World`](crate::sim::World) trait.

pub mod ipl;
pub mod platform;
pub mod tatkal;
pub mod traffic;
