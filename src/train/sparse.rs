//! The MLP's first layer over a one-hot input given by the indices of its ones: each output row
//! is the sum of the weight columns its ones select (an embedding bag), which is `x Wᵀ` of the
//! dense layer up to float rounding, over the same weight matrix (checkpoints do not change).
//! On a wide, mostly-zero encoding (bitseq120: 3,871 features, 16 of them 1) the dense
//! product's multiply-adds by zero, forward and in both products of its backward pass, were
//! most of a training step.

use candle_core::{CpuStorage, CustomOp1, Device, Layout, Result, Shape, Tensor};
use std::sync::Arc;

/// The index that pads a row with fewer ones than the widest row of its batch.
const PAD: u32 = u32::MAX;

/// Use the sparse first layer when the encoding is at least this wide: below it the dense
/// product is cheap next to the hidden layers (hypergrid's 16 to 128 features).
const MIN_SPARSE_WIDTH: usize = 256;

/// ... and at most this share of its features (1 in `MAX_DENSITY`) can be 1 at once.
const MAX_DENSITY: usize = 8;

/// Whether an MLP over `width` one-hot features of which at most `max_active` are 1 computes
/// its first layer from the indices of the ones.
pub fn pays(width: usize, max_active: usize) -> bool {
    width >= MIN_SPARSE_WIDTH && max_active.saturating_mul(MAX_DENSITY) <= width
}

/// The ones of a batch of one-hot rows.
#[derive(Clone, Debug)]
pub struct ActiveRows {
    /// `per_row` feature indices per row, rows back to back, each below `width` or [`PAD`].
    indices: Arc<Vec<u32>>,
    rows: usize,
    per_row: usize,
    width: usize,
}

impl ActiveRows {
    /// Rows given back to back in `indices`, row `r` from `starts[r]` to `starts[r + 1]`, each
    /// index below `width`.
    pub fn new(indices: Vec<u32>, starts: &[usize], width: usize) -> Result<ActiveRows> {
        let rows = starts.len().saturating_sub(1);
        // At least one (padded) index per row, so that the weight always gets a gradient.
        let per_row = starts
            .windows(2)
            .map(|s| s[1] - s[0])
            .max()
            .unwrap_or(0)
            .max(1);
        if let Some(bad) = indices.iter().find(|k| **k as usize >= width) {
            return Err(candle_core::Error::Msg(format!(
                "active feature {bad} outside an encoding of {width} features"
            )));
        }
        let indices = if per_row * rows == indices.len() {
            indices
        } else {
            let mut padded = vec![PAD; per_row * rows];
            for (r, s) in starts.windows(2).enumerate() {
                padded[r * per_row..r * per_row + s[1] - s[0]]
                    .copy_from_slice(&indices[s[0]..s[1]]);
            }
            padded
        };
        Ok(ActiveRows {
            indices: Arc::new(indices),
            rows,
            per_row,
            width,
        })
    }

    /// Rows in the batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The dense one-hot rows, `[rows, width]`.
    pub fn to_dense(&self) -> Result<Tensor> {
        let mut features = vec![0.0f32; self.rows * self.width];
        for (r, row) in self.row_indices().enumerate() {
            for k in row.iter().filter(|k| **k != PAD) {
                features[r * self.width + *k as usize] = 1.0;
            }
        }
        Tensor::from_vec(features, (self.rows, self.width), &Device::Cpu)
    }

    fn row_indices(&self) -> impl Iterator<Item = &[u32]> {
        self.indices.chunks_exact(self.per_row)
    }
}

/// `x Wᵀ` for the one-hot rows `x` given by `active`, `weight` being `[outputs, width]`: a
/// `[rows, outputs]` tensor, differentiable with respect to `weight` when it is tracked.
pub fn sum_of_columns(weight: &Tensor, active: &ActiveRows) -> Result<Tensor> {
    weight.apply_op1(SumOfColumns {
        active: active.clone(),
    })
}

struct SumOfColumns {
    active: ActiveRows,
}

impl SumOfColumns {
    fn check(&self, outputs: usize, inputs: usize) -> Result<()> {
        if inputs != self.active.width || outputs == 0 {
            return Err(candle_core::Error::Msg(format!(
                "a weight of {outputs} x {inputs} for one-hot rows of {} features",
                self.active.width
            )));
        }
        Ok(())
    }
}

impl CustomOp1 for SumOfColumns {
    fn name(&self) -> &'static str {
        "sum-of-weight-columns"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (outputs, inputs) = layout.shape().dims2()?;
        self.check(outputs, inputs)?;
        let (CpuStorage::F32(weight), Some((start, end))) = (storage, layout.contiguous_offsets())
        else {
            return Err(candle_core::Error::Msg(
                "the sparse first layer takes a contiguous f32 weight".into(),
            ));
        };
        let weight = &weight[start..end];
        let rows = self.active.rows;
        let mut out = vec![0.0f32; rows * outputs];
        // Row by row of the weight, which then stays in L1 while every input row reads it.
        for (o, w) in weight.chunks_exact(inputs).enumerate() {
            for (r, ones) in self.active.row_indices().enumerate() {
                out[r * outputs + o] = ones
                    .iter()
                    .filter(|k| **k != PAD)
                    .map(|k| w[*k as usize])
                    .sum();
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((rows, outputs))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let (outputs, inputs) = arg.dims2()?;
        self.check(outputs, inputs)?;
        let grad = grad_res.flatten_all()?.to_vec1::<f32>()?;
        let mut weight_grad = vec![0.0f32; outputs * inputs];
        for (o, w) in weight_grad.chunks_exact_mut(inputs).enumerate() {
            for (r, ones) in self.active.row_indices().enumerate() {
                let g = grad[r * outputs + o];
                for k in ones.iter().filter(|k| **k != PAD) {
                    w[*k as usize] += g;
                }
            }
        }
        Tensor::from_vec(weight_grad, (outputs, inputs), arg.device()).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Var;

    /// Forward values and the weight's gradient against the dense product, on rows with
    /// different counts of ones (padding) and a row without any.
    #[test]
    fn matches_the_dense_layer() {
        let (outputs, width) = (5, 12);
        let values: Vec<f32> = (0..outputs * width)
            .map(|k| ((k * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        let weight = Var::from_vec(values, (outputs, width), &Device::Cpu).expect("weight");
        let rows: [&[u32]; 4] = [&[0, 4, 7], &[2, 11], &[], &[1, 3, 5, 8]];
        let mut indices = Vec::new();
        let mut starts = vec![0];
        for row in rows {
            indices.extend_from_slice(row);
            starts.push(indices.len());
        }
        let active = ActiveRows::new(indices, &starts, width).expect("rows");
        let dense = active.to_dense().expect("dense");
        // Weights on the outputs, so that the gradient differs per output and row.
        let mix = Tensor::from_vec(
            (0..rows.len() * outputs).map(|k| k as f32 - 6.5).collect(),
            (rows.len(), outputs),
            &Device::Cpu,
        )
        .expect("mix");
        let run = |sparse: bool| {
            let y = match sparse {
                true => sum_of_columns(weight.as_tensor(), &active),
                false => dense.matmul(&weight.as_tensor().t().expect("t")),
            }
            .expect("forward");
            let loss = (&y * &mix).expect("mul").sum_all().expect("sum");
            let grads = loss.backward().expect("backward");
            let grad = grads.get(weight.as_tensor()).expect("a gradient").clone();
            (
                y.to_vec2::<f32>().expect("y"),
                grad.to_vec2::<f32>().expect("grad"),
            )
        };
        let (sparse, dense) = (run(true), run(false));
        for (a, b) in [(&sparse.0, &dense.0), (&sparse.1, &dense.1)] {
            for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
                assert!((x - y).abs() < 1e-5, "{x} vs {y}");
            }
        }
        // By hand: row 1 is columns 2 and 11 of each weight row; row 2 has no ones.
        let w = weight.as_tensor().to_vec2::<f32>().expect("w");
        assert!((sparse.0[1][3] - (w[3][2] + w[3][11])).abs() < 1e-6);
        assert!(sparse.0[2].iter().all(|v| *v == 0.0));
    }

    #[test]
    fn an_index_outside_the_encoding_is_an_error() {
        assert!(ActiveRows::new(vec![3, 12], &[0, 2], 12).is_err());
    }

    #[test]
    fn only_wide_sparse_encodings_use_it() {
        assert!(pays(3871, 16));
        assert!(!pays(16, 2), "hypergrid D=2 H=8");
        assert!(!pays(128, 2), "hypergrid D=2 H=64");
        assert!(!pays(1000, 500));
    }
}
