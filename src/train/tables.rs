//! The CSV files of a run directory: `samples.csv`.

use crate::env::Environment;
use crate::number::reward_text;

/// The name of the probability column: the exact log P_T(x) of the object when the graph was
/// explored whole, else the log probability of the trajectory that drew it.
pub fn probability_column(exact: bool) -> &'static str {
    if exact {
        "log_probability"
    } else {
        "log_p_trajectory"
    }
}

/// `samples.csv`: one row per object drawn (its state, reward, log reward and log probability).
pub fn samples_csv(env: &Environment, samples: &[(Vec<i32>, f64, f64)], exact: bool) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(["state", "reward", "log_reward", probability_column(exact)]);
    for (state, log_reward, log_p) in samples {
        let _ = writer.write_record([
            env.render(state),
            reward_text(*log_reward),
            format!("{log_reward}"),
            format!("{log_p}"),
        ]);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}
