//! Adam on the host. candle's AdamW runs about ten tensor operations per variable per step,
//! which for a small MLP costs more than the forward and backward passes; here each variable's
//! gradient is copied out once, updated in one loop, and written back once.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

struct Slot {
    var: Var,
    values: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
}

/// One variable's first and second moments.
pub type Moment<'a> = (&'a [f32], &'a [f32]);

/// Adam (Kingma & Ba) without weight decay, as torch.optim.Adam with default betas.
pub struct Adam {
    slots: Vec<Slot>,
    pub lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    t: i32,
}

impl Adam {
    pub fn new(vars: Vec<Var>, lr: f64) -> Result<Adam> {
        let mut slots = Vec::new();
        for var in vars {
            let values = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
            let n = values.len();
            slots.push(Slot {
                var,
                values,
                m: vec![0.0; n],
                v: vec![0.0; n],
            });
        }
        Ok(Adam {
            slots,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
        })
    }

    /// One update from the gradients of the last backward pass; variables without a gradient
    /// are left as they are.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.t += 1;
        let correction1 = 1.0 - self.beta1.powi(self.t);
        let correction2 = 1.0 - self.beta2.powi(self.t);
        let step_size = (self.lr / correction1) as f32;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let (sqrt_c2, eps) = (correction2.sqrt() as f32, self.eps as f32);
        for slot in &mut self.slots {
            let Some(grad) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            let grad = grad.flatten_all()?.to_vec1::<f32>()?;
            for (((p, m), v), g) in slot
                .values
                .iter_mut()
                .zip(&mut slot.m)
                .zip(&mut slot.v)
                .zip(&grad)
            {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *p -= step_size * *m / ((*v).sqrt() / sqrt_c2 + eps);
            }
            let updated = Tensor::from_slice(
                &slot.values,
                slot.var.as_tensor().shape(),
                slot.var.as_tensor().device(),
            )?;
            slot.var.set(&updated)?;
        }
        Ok(())
    }

    /// The step count and each variable's moments, for a checkpoint.
    pub fn moments(&self) -> (i32, Vec<Moment<'_>>) {
        (
            self.t,
            self.slots
                .iter()
                .map(|s| (s.m.as_slice(), s.v.as_slice()))
                .collect(),
        )
    }

    /// Restore the step count and moments saved by [`Adam::moments`].
    pub fn set_moments(&mut self, t: i32, moments: Vec<(Vec<f32>, Vec<f32>)>) -> Result<()> {
        if moments.len() != self.slots.len()
            || moments
                .iter()
                .zip(&self.slots)
                .any(|((m, _), s)| m.len() != s.m.len())
        {
            return Err(candle_core::Error::Msg(
                "the optimiser state does not match the model".into(),
            ));
        }
        self.t = t;
        for (slot, (m, v)) in self.slots.iter_mut().zip(moments) {
            slot.m = m;
            slot.v = v;
        }
        self.reload()
    }

    /// Re-read the variables' values (after a checkpoint is loaded into them).
    pub fn reload(&mut self) -> Result<()> {
        for slot in &mut self.slots {
            slot.values = slot.var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_adam_by_hand() {
        // One parameter, loss = x², x0 = 1, lr 0.1: the first Adam step moves by lr·sign(g).
        let x = Var::from_slice(&[1.0f32], 1, &Device::Cpu).expect("var");
        let mut adam = Adam::new(vec![x.clone()], 0.1).expect("adam");
        let loss = x.as_tensor().sqr().expect("sqr").sum_all().expect("sum");
        adam.step(&loss.backward().expect("grads")).expect("step");
        let after = x.as_tensor().to_vec1::<f32>().expect("read")[0];
        assert!((after - 0.9).abs() < 1e-6, "{after}");
        // Second step: g = 1.8; m = 0.9·0.2 + 0.1·1.8 = 0.36, v = 0.999·0.004 + 0.001·3.24.
        let loss = x.as_tensor().sqr().expect("sqr").sum_all().expect("sum");
        adam.step(&loss.backward().expect("grads")).expect("step");
        let (m, v): (f64, f64) = (0.36, 0.999 * 0.004 + 0.001 * 3.24);
        let expected = 0.9 - 0.1 * (m / (1.0 - 0.81)) / ((v / (1.0 - 0.998001)).sqrt() + 1e-8);
        let after = f64::from(x.as_tensor().to_vec1::<f32>().expect("read")[0]);
        assert!((after - expected).abs() < 1e-5, "{after} vs {expected}");
    }

    /// The bound a checkpoint's weights are checked against (`checkpoint::check_model`): one
    /// update moves a weight by less than 7.3·lr, whatever the gradients: constant, alternating,
    /// a spike after silence, or growing geometrically at β2/β1 (where Cauchy–Schwarz is tight).
    #[test]
    fn one_update_moves_a_weight_by_less_than_the_checked_bound() {
        let lr = 0.01;
        let sequences: Vec<Vec<f32>> = vec![
            vec![1.0; 200],
            (0..200)
                .map(|k| if k % 2 == 0 { 3.0 } else { -3.0 })
                .collect(),
            (0..200).map(|k| if k == 150 { 1e4 } else { 0.0 }).collect(),
            (0..120).map(|k| (0.999f32 / 0.9).powi(k)).collect(),
            (0..200).map(|k| ((k * 7919) % 13) as f32 - 6.0).collect(),
        ];
        for gradients in sequences {
            let x = Var::from_slice(&[0.0f32], 1, &Device::Cpu).expect("var");
            let mut adam = Adam::new(vec![x.clone()], lr).expect("adam");
            let mut before = 0.0f32;
            for g in gradients {
                let loss = (x.as_tensor() * f64::from(g))
                    .and_then(|t| t.sum_all())
                    .expect("loss");
                adam.step(&loss.backward().expect("grads")).expect("step");
                let after = x.as_tensor().to_vec1::<f32>().expect("read")[0];
                let moved = f64::from((after - before).abs());
                assert!(moved < 7.3 * lr, "moved {moved} at lr {lr}");
                before = after;
            }
        }
    }
}
