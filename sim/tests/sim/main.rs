//! The simulator's own tests, in one test binary (one link, not one per file): real clients
//! (kube-rs, kubectl, raw HTTP) against pxsnap-sim.

mod common;

mod api;
mod binary;
mod controllers;
mod csi;
mod exec;
mod faults;
mod kubectl;
mod watch;
