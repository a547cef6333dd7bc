//! How good a sampler is: exact figures through the enumerated DAG (the policy's terminal
//! distribution by dynamic programming, its distances to R/Z) and empirical ones from samples.

pub mod empirical;
pub mod exact;

pub use empirical::empirical_l1;
pub use exact::exact;
