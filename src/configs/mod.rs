//! What services are configured with: configuration files read into extra targets (the
//! certificate files they name, and the ports that should serve them), so every check applies.

pub mod nginx;
