//! How good a sampler is: exact figures through the enumerated DAG (the policy's terminal
//! distribution by dynamic programming, its distances to R/Z) and empirical ones from samples.

pub mod correlation;
pub mod discovery;
pub mod empirical;
pub mod exact;

pub use correlation::{pearson, spearman};
pub use discovery::Discovery;
pub use empirical::empirical_l1;
pub use exact::exact;
