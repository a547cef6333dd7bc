//! The transformer policy: the state as tokens ([`crate::env::tokens`]: one per element of each
//! sequence or array field and one per possible member of each set field, plus one context
//! token for the scalar fields), a few pre-LayerNorm
//! encoder layers, and heads tied to what they index: an action that writes element `i`
//! takes its logit from token `i`'s output, through weights shared by every `i`; the others
//! (and `stop`) from the pooled output (the context token's output next to the mean of the
//! element tokens'). Inputs are `[n, tokens + scalars]` floats, the token ids first.

use super::policy::{variable, Layer, Outputs};
use crate::env::tokens::{ActionHead, TokenLayout};
use candle_core::{DType, Device, Result, Tensor, Var, D};
use candle_nn::VarMap;
use rand::rngs::StdRng;
use rand::Rng;

/// The shape of a transformer policy, derived from the environment and the run's flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformerShape {
    /// How states become tokens and scalars.
    pub tokens: TokenLayout,
    /// Per flat action, where its logit comes from.
    pub action_heads: Vec<ActionHead>,
    /// Per family, the columns of its tied head (0: not tied).
    pub tied_columns: Vec<usize>,
    /// Columns of the pooled head.
    pub pooled_columns: usize,
    /// The width of every token's representation (`--d-model`).
    pub d_model: usize,
    /// Attention heads per layer (`--heads`); divides `d_model`.
    pub attention_heads: usize,
    /// Encoder layers (`--layers`).
    pub layers: usize,
}

impl TransformerShape {
    /// The shape for `env` with these sizes.
    pub fn new(
        env: &crate::env::Environment,
        d_model: usize,
        attention_heads: usize,
        layers: usize,
        set_members: bool,
    ) -> TransformerShape {
        let tokens = env.token_layout_with(set_members);
        let action_heads = env.action_heads(&tokens);
        let tied_columns = env.tied_columns(&action_heads);
        let pooled_columns = action_heads
            .iter()
            .filter(|h| matches!(h, ActionHead::Pooled { .. }))
            .count();
        TransformerShape {
            tokens,
            action_heads,
            tied_columns,
            pooled_columns,
            d_model,
            attention_heads,
            layers,
        }
    }

    /// The width of the feed-forward layer inside each encoder layer.
    pub fn feed_forward(&self) -> usize {
        4 * self.d_model
    }

    /// The width of the pooled representation: the context token's output, and the mean of
    /// the element tokens' when there are any.
    pub fn pooled_width(&self) -> usize {
        match self.tokens.tokens {
            0 => self.d_model,
            _ => 2 * self.d_model,
        }
    }

    /// Trainable numbers of one encoder (embeddings and layers).
    pub fn encoder_parameters(&self) -> usize {
        let (d, f) = (self.d_model, self.feed_forward());
        let embeddings = (self.tokens.vocabulary + self.tokens.tokens) * d;
        let context = (self.tokens.scalars + 1) * d;
        let layer = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 4 * d;
        embeddings + context + self.layers * layer + 2 * d
    }

    /// Trainable numbers of one set of action heads (pooled and tied).
    pub fn head_parameters(&self) -> usize {
        let pooled = (self.pooled_width() + 1) * self.pooled_columns;
        let tied: usize = self
            .tied_columns
            .iter()
            .map(|c| (self.d_model + 1) * c)
            .sum();
        pooled + tied
    }
}

/// A layer normalisation over the last dimension with a learned scale and shift.
struct Norm {
    scale: Var,
    shift: Var,
}

impl Norm {
    fn new(varmap: &VarMap, name: &str, width: usize) -> Result<Norm> {
        Ok(Norm {
            scale: variable(varmap, &format!("{name}.weight"), vec![1.0; width], width)?,
            shift: variable(varmap, &format!("{name}.bias"), vec![0.0; width], width)?,
        })
    }

    fn forward(&self, x: &Tensor, track: bool) -> Result<Tensor> {
        // Candle's fused layer norm has no gradient: the composed one where one is needed.
        match track {
            true => candle_nn::ops::layer_norm_slow(
                x,
                self.scale.as_tensor(),
                self.shift.as_tensor(),
                NORM_EPSILON,
            ),
            false => candle_nn::ops::layer_norm(
                &x.contiguous()?,
                &self.scale.as_detached_tensor(),
                &self.shift.as_detached_tensor(),
                NORM_EPSILON,
            ),
        }
    }

    fn vars(&self, out: &mut Vec<Var>) {
        out.push(self.scale.clone());
        out.push(self.shift.clone());
    }
}

/// The ε of every layer normalisation (PyTorch's default).
pub const NORM_EPSILON: f32 = 1e-5;

/// One pre-LayerNorm encoder layer: `x + attention(norm(x))`, then `x + ffn(norm(x))`.
struct Block {
    attention_norm: Norm,
    query: Layer,
    key: Layer,
    value: Layer,
    out: Layer,
    feed_forward_norm: Norm,
    up: Layer,
    down: Layer,
}

impl Block {
    fn new(
        varmap: &VarMap,
        name: &str,
        shape: &TransformerShape,
        rng: &mut StdRng,
    ) -> Result<Block> {
        let (d, f) = (shape.d_model, shape.feed_forward());
        let layer = |part: &str, i, o, rng: &mut StdRng| {
            Layer::new(varmap, &format!("{name}.{part}"), i, o, rng)
        };
        Ok(Block {
            attention_norm: Norm::new(varmap, &format!("{name}.attention_norm"), d)?,
            query: layer("query", d, d, rng)?,
            key: layer("key", d, d, rng)?,
            value: layer("value", d, d, rng)?,
            out: layer("out", d, d, rng)?,
            feed_forward_norm: Norm::new(varmap, &format!("{name}.feed_forward_norm"), d)?,
            up: layer("up", d, f, rng)?,
            down: layer("down", f, d, rng)?,
        })
    }

    /// `x` is `[n, length, d]`.
    fn forward(&self, x: &Tensor, heads: usize, track: bool) -> Result<Tensor> {
        let (n, length, d) = x.dims3()?;
        let per_head = d / heads;
        let y = self
            .attention_norm
            .forward(x, track)?
            .reshape((n * length, d))?;
        let split = |layer: &Layer| -> Result<Tensor> {
            layer
                .forward(&y, track)?
                .reshape((n, length, heads, per_head))?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (split(&self.query)?, split(&self.key)?, split(&self.value)?);
        let scores = (q.matmul(&k.t()?.contiguous()?)? / (per_head as f64).sqrt())?;
        let weights = match track {
            true => candle_nn::ops::softmax(&scores, D::Minus1)?,
            false => candle_nn::ops::softmax_last_dim(&scores)?,
        };
        let attended = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((n * length, d))?;
        let x = (x + self
            .out
            .forward(&attended, track)?
            .reshape((n, length, d))?)?;
        let y = self
            .feed_forward_norm
            .forward(&x, track)?
            .reshape((n * length, d))?;
        let y = self
            .down
            .forward(&self.up.forward(&y, track)?.relu()?, track)?;
        x + y.reshape((n, length, d))?
    }

    fn vars(&self, out: &mut Vec<Var>) {
        self.attention_norm.vars(out);
        for layer in [&self.query, &self.key, &self.value, &self.out] {
            layer.vars(out);
        }
        self.feed_forward_norm.vars(out);
        self.up.vars(out);
        self.down.vars(out);
    }
}

/// Embeddings, encoder layers and the final normalisation: states to token outputs.
pub(super) struct Encoder {
    /// `[vocabulary, d]`: one row per value id.
    values: Var,
    /// `[tokens, d]`: one row per token (field and position).
    positions: Var,
    /// The scalar features into the context token, when there are scalars.
    context: Option<Layer>,
    /// The context token's embedding when there are no scalars.
    context_token: Var,
    blocks: Vec<Block>,
    final_norm: Norm,
}

/// What an encoder gives for `n` states.
pub(super) struct Encoded {
    /// `[n, pooled_width]`.
    pub pooled: Tensor,
    /// `[n, tokens, d]`: the element tokens' outputs (the context token's left out).
    pub tokens: Tensor,
}

impl Encoder {
    pub(super) fn new(
        varmap: &VarMap,
        name: &str,
        shape: &TransformerShape,
        rng: &mut StdRng,
    ) -> Result<Encoder> {
        let d = shape.d_model;
        // Like PyTorch's nn.Embedding, N(0, 1)-sized entries (uniform with variance 1).
        let embedding = |part: &str, rows: usize, rng: &mut StdRng| {
            let bound = 3f32.sqrt();
            let values = (0..rows * d)
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            variable(varmap, &format!("{name}.{part}"), values, (rows, d))
        };
        let values = embedding("values", shape.tokens.vocabulary.max(1), rng)?;
        let positions = embedding("positions", shape.tokens.tokens.max(1), rng)?;
        let context_token = embedding("context_token", 1, rng)?;
        let context = match shape.tokens.scalars {
            0 => None,
            s => Some(Layer::new(varmap, &format!("{name}.context"), s, d, rng)?),
        };
        let blocks = (0..shape.layers)
            .map(|k| Block::new(varmap, &format!("{name}.blocks.{k}"), shape, rng))
            .collect::<Result<Vec<_>>>()?;
        Ok(Encoder {
            values,
            positions,
            context,
            context_token,
            blocks,
            final_norm: Norm::new(varmap, &format!("{name}.final_norm"), d)?,
        })
    }

    /// Run on `[n, tokens + scalars]` inputs.
    pub(super) fn forward(
        &self,
        x: &Tensor,
        shape: &TransformerShape,
        track: bool,
    ) -> Result<Encoded> {
        let (n, _) = x.dims2()?;
        let (t, d) = (shape.tokens.tokens, shape.d_model);
        let read = |v: &Var| match track {
            true => v.as_tensor().clone(),
            false => v.as_detached_tensor(),
        };
        let context = match &self.context {
            Some(layer) => layer.forward(&x.narrow(1, t, shape.tokens.scalars)?, track)?,
            None => read(&self.context_token)
                .broadcast_as((n, d))?
                .contiguous()?,
        }
        .reshape((n, 1, d))?;
        let mut h = match t {
            0 => context,
            _ => {
                let ids = x.narrow(1, 0, t)?.to_dtype(DType::U32)?.flatten_all()?;
                let values = read(&self.values)
                    .index_select(&ids, 0)?
                    .reshape((n, t, d))?;
                let elements = values.broadcast_add(&read(&self.positions))?;
                Tensor::cat(&[&context, &elements], 1)?
            }
        };
        for block in &self.blocks {
            h = block.forward(&h, shape.attention_heads, track)?;
        }
        let h = self.final_norm.forward(&h, track)?;
        let context = h.narrow(1, 0, 1)?.squeeze(1)?;
        match t {
            0 => Ok(Encoded {
                pooled: context,
                tokens: Tensor::zeros((n, 0, d), DType::F32, &Device::Cpu)?,
            }),
            _ => {
                let tokens = h.narrow(1, 1, t)?;
                let mean = tokens.mean(1)?;
                Ok(Encoded {
                    pooled: Tensor::cat(&[&context, &mean], 1)?,
                    tokens,
                })
            }
        }
    }

    pub(super) fn vars(&self, out: &mut Vec<Var>) {
        out.push(self.values.clone());
        out.push(self.positions.clone());
        out.push(self.context_token.clone());
        if let Some(layer) = &self.context {
            layer.vars(out);
        }
        for block in &self.blocks {
            block.vars(out);
        }
        self.final_norm.vars(out);
    }
}

/// Logits over the flat action space from an encoder's outputs: a pooled head, and per tied
/// family one head applied to every token of the field it writes.
pub(super) struct ActionHeads {
    pooled: Option<Layer>,
    /// Per family: its head, and the first token and token count of the field it writes.
    tied: Vec<Option<(Layer, usize, usize)>>,
    /// Per flat action, its column in the concatenation of the heads' outputs.
    index: Tensor,
}

impl ActionHeads {
    pub(super) fn new(
        varmap: &VarMap,
        name: &str,
        shape: &TransformerShape,
        rng: &mut StdRng,
    ) -> Result<ActionHeads> {
        let pooled = match shape.pooled_columns {
            0 => None,
            c => Some(Layer::new(
                varmap,
                &format!("{name}.pooled"),
                shape.pooled_width(),
                c,
                rng,
            )?),
        };
        // The token range of the field each tied family writes.
        let mut ranges = vec![(usize::MAX, 0usize); shape.tied_columns.len()];
        for head in &shape.action_heads {
            if let ActionHead::Tied { token, family, .. } = head {
                let field = shape
                    .tokens
                    .fields
                    .iter()
                    .find(|f| (f.first_token..f.first_token + f.tokens()).contains(token));
                if let Some(f) = field {
                    ranges[*family] = (f.first_token, f.tokens());
                }
            }
        }
        let mut tied = Vec::new();
        let mut offsets = Vec::new();
        let mut offset = shape.pooled_columns;
        for (family, columns) in shape.tied_columns.iter().enumerate() {
            offsets.push(offset);
            match columns {
                0 => tied.push(None),
                c => {
                    let layer = Layer::new(
                        varmap,
                        &format!("{name}.tied.{family}"),
                        shape.d_model,
                        *c,
                        rng,
                    )?;
                    let (first, count) = ranges[family];
                    tied.push(Some((layer, first, count)));
                    offset += count * c;
                }
            }
        }
        let index: Vec<u32> = shape
            .action_heads
            .iter()
            .map(|head| match head {
                ActionHead::Pooled { column } => *column as u32,
                ActionHead::Tied {
                    token,
                    column,
                    family,
                } => {
                    let first = ranges[*family].0;
                    (offsets[*family] + (token - first) * shape.tied_columns[*family] + column)
                        as u32
                }
            })
            .collect();
        let actions = index.len();
        Ok(ActionHeads {
            pooled,
            tied,
            index: Tensor::from_vec(index, actions, &Device::Cpu)?,
        })
    }

    /// `[n, actions]` logits.
    pub(super) fn forward(&self, encoded: &Encoded, track: bool) -> Result<Tensor> {
        let (n, _, d) = encoded.tokens.dims3()?;
        let mut parts = Vec::new();
        if let Some(layer) = &self.pooled {
            parts.push(layer.forward(&encoded.pooled, track)?);
        }
        for (layer, first, count) in self.tied.iter().flatten() {
            let tokens = encoded
                .tokens
                .narrow(1, *first, *count)?
                .reshape((n * count, d))?;
            parts.push(layer.forward(&tokens, track)?.reshape((n, ()))?);
        }
        Tensor::cat(&parts, 1)?.index_select(&self.index, 1)
    }

    pub(super) fn vars(&self, out: &mut Vec<Var>) {
        if let Some(layer) = &self.pooled {
            layer.vars(out);
        }
        for (layer, _, _) in self.tied.iter().flatten() {
            layer.vars(out);
        }
    }
}

/// The transformer policy's network (log Z aside).
pub(super) struct Transformer {
    shape: TransformerShape,
    encoder: Encoder,
    /// With a separate P_B: the backward policy's own encoder.
    backward_encoder: Option<Encoder>,
    forward_head: ActionHeads,
    backward_head: Option<ActionHeads>,
    flow_head: Option<Layer>,
}

impl Transformer {
    pub(super) fn new(
        varmap: &VarMap,
        shape: &super::policy::PolicyShape,
        transformer: &TransformerShape,
        rng: &mut StdRng,
    ) -> Result<Transformer> {
        let encoder = Encoder::new(varmap, "encoder", transformer, rng)?;
        let backward_encoder = match shape.separate_backward {
            true => Some(Encoder::new(varmap, "backward_encoder", transformer, rng)?),
            false => None,
        };
        let forward_head = ActionHeads::new(varmap, "forward", transformer, rng)?;
        let backward_head = match shape.learned_backward {
            true => Some(ActionHeads::new(varmap, "backward", transformer, rng)?),
            false => None,
        };
        let flow_head = match shape.flows {
            true => Some(Layer::new(
                varmap,
                "flow",
                transformer.pooled_width(),
                1,
                rng,
            )?),
            false => None,
        };
        Ok(Transformer {
            shape: transformer.clone(),
            encoder,
            backward_encoder,
            forward_head,
            backward_head,
            flow_head,
        })
    }

    pub(super) fn forward(&self, x: &Tensor, track: bool) -> Result<Outputs> {
        let encoded = self.encoder.forward(x, &self.shape, track)?;
        let forward = self.forward_head.forward(&encoded, track)?;
        let backward = self.backward_from(x, &encoded, track)?;
        let flow = match &self.flow_head {
            Some(head) => Some(head.forward(&encoded.pooled, track)?.squeeze(1)?),
            None => None,
        };
        Ok(Outputs {
            forward,
            backward,
            flow,
        })
    }

    pub(super) fn forward_logits(&self, x: &Tensor) -> Result<Tensor> {
        let encoded = self.encoder.forward(x, &self.shape, false)?;
        self.forward_head.forward(&encoded, false)
    }

    pub(super) fn backward_logits(&self, x: &Tensor) -> Result<Option<Tensor>> {
        let Some(head) = &self.backward_head else {
            return Ok(None);
        };
        let encoder = self.backward_encoder.as_ref().unwrap_or(&self.encoder);
        Ok(Some(head.forward(
            &encoder.forward(x, &self.shape, false)?,
            false,
        )?))
    }

    fn backward_from(&self, x: &Tensor, encoded: &Encoded, track: bool) -> Result<Option<Tensor>> {
        let Some(head) = &self.backward_head else {
            return Ok(None);
        };
        match &self.backward_encoder {
            Some(encoder) => Ok(Some(
                head.forward(&encoder.forward(x, &self.shape, track)?, track)?,
            )),
            None => Ok(Some(head.forward(encoded, track)?)),
        }
    }

    pub(super) fn vars(&self, out: &mut Vec<Var>) {
        self.encoder.vars(out);
        if let Some(encoder) = &self.backward_encoder {
            encoder.vars(out);
        }
        self.forward_head.vars(out);
        if let Some(head) = &self.backward_head {
            head.vars(out);
        }
        if let Some(head) = &self.flow_head {
            head.vars(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Environment;
    use crate::train::policy::{Policy, PolicyChoice, PolicyShape};
    use crate::train::{Config, Objective};
    use rand::SeedableRng;
    use std::collections::HashMap;

    /// Four cells of 0..3 written by `put(i, v)` (tied), and a flag raised by `close()` (pooled).
    const CELLS: &str = "env cells\nstate { x: [0..3; 4], closed: bool }\naction put(i in 0..4, v in 1..3) when x[i] == 0 and not closed { x[i] = v }\naction close() when not closed { closed = true }\ndone when closed\nreward 1.0 + float(count(i in 0..4: x[i] == 2))\n";

    fn env() -> Environment {
        match Environment::from_source(CELLS, &[]) {
            Ok(env) => env,
            Err(errors) => panic!("{errors:?}"),
        }
    }

    fn policy(env: &Environment, d_model: usize, heads: usize) -> Policy {
        let config = Config {
            policy: PolicyChoice::Transformer,
            d_model,
            heads,
            layers: 1,
            objective: Objective::Db,
            learned_backward: true,
            ..Config::default()
        };
        let shape = PolicyShape::for_run(env, &config);
        Policy::new(shape, &mut StdRng::seed_from_u64(7)).expect("a policy")
    }

    /// Every weight by name, as a flat vector.
    fn weights(policy: &Policy) -> HashMap<String, Vec<f32>> {
        let data = policy.varmap.data().lock().expect("not poisoned");
        data.iter()
            .map(|(name, var)| {
                let values = var
                    .as_tensor()
                    .flatten_all()
                    .and_then(|t| t.to_vec1::<f32>());
                (name.clone(), values.expect("f32 weights"))
            })
            .collect()
    }

    /// `W x + b` with `W` row-major `[outputs, inputs]`.
    fn linear(w: &HashMap<String, Vec<f32>>, name: &str, x: &[f32]) -> Vec<f32> {
        let (weight, bias) = (&w[&format!("{name}.weight")], &w[&format!("{name}.bias")]);
        (0..bias.len())
            .map(|o| {
                bias[o]
                    + (0..x.len())
                        .map(|i| weight[o * x.len() + i] * x[i])
                        .sum::<f32>()
            })
            .collect()
    }

    fn norm(w: &HashMap<String, Vec<f32>>, name: &str, x: &[f32]) -> Vec<f32> {
        let n = x.len() as f32;
        let mean = x.iter().sum::<f32>() / n;
        let variance = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let (scale, shift) = (&w[&format!("{name}.weight")], &w[&format!("{name}.bias")]);
        (0..x.len())
            .map(|i| (x[i] - mean) / (variance + NORM_EPSILON).sqrt() * scale[i] + shift[i])
            .collect()
    }

    /// The network by loops over numbers: (forward logits, backward logits, flow).
    fn by_hand(env: &Environment, policy: &Policy, state: &[i32]) -> (Vec<f32>, Vec<f32>, f32) {
        let shape = policy.shape.transformer.as_ref().expect("a transformer");
        let w = weights(policy);
        let (d, heads) = (shape.d_model, shape.attention_heads);
        let mut input = vec![0.0; shape.tokens.width()];
        env.encode_tokens(&shape.tokens, state, &mut input);
        let t = shape.tokens.tokens;
        let mut x: Vec<Vec<f32>> = vec![linear(&w, "encoder.context", &input[t..])];
        for (k, id) in input[..t].iter().enumerate() {
            let id = *id as usize;
            x.push(
                (0..d)
                    .map(|j| w["encoder.values"][id * d + j] + w["encoder.positions"][k * d + j])
                    .collect(),
            );
        }
        let block = "encoder.blocks.0";
        let y: Vec<Vec<f32>> = x
            .iter()
            .map(|v| norm(&w, &format!("{block}.attention_norm"), v))
            .collect();
        let project = |part: &str| -> Vec<Vec<f32>> {
            y.iter()
                .map(|v| linear(&w, &format!("{block}.{part}"), v))
                .collect()
        };
        let (q, k, v) = (project("query"), project("key"), project("value"));
        let per_head = d / heads;
        let mut attended = vec![vec![0.0; d]; x.len()];
        for h in 0..heads {
            let range = h * per_head..(h + 1) * per_head;
            for i in 0..x.len() {
                let scores: Vec<f32> = (0..x.len())
                    .map(|j| {
                        range.clone().map(|c| q[i][c] * k[j][c]).sum::<f32>()
                            / (per_head as f32).sqrt()
                    })
                    .collect();
                let top = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                let total: f32 = scores.iter().map(|s| (s - top).exp()).sum();
                for j in 0..x.len() {
                    let p = (scores[j] - top).exp() / total;
                    for c in range.clone() {
                        attended[i][c] += p * v[j][c];
                    }
                }
            }
        }
        for i in 0..x.len() {
            let out = linear(&w, &format!("{block}.out"), &attended[i]);
            for c in 0..d {
                x[i][c] += out[c];
            }
            let y = norm(&w, &format!("{block}.feed_forward_norm"), &x[i]);
            let up: Vec<f32> = linear(&w, &format!("{block}.up"), &y)
                .into_iter()
                .map(|u| u.max(0.0))
                .collect();
            let down = linear(&w, &format!("{block}.down"), &up);
            for c in 0..d {
                x[i][c] += down[c];
            }
        }
        let h: Vec<Vec<f32>> = x
            .iter()
            .map(|v| norm(&w, "encoder.final_norm", v))
            .collect();
        let mut pooled = h[0].clone();
        pooled.extend((0..d).map(|c| h[1..].iter().map(|r| r[c]).sum::<f32>() / t as f32));
        let logits = |name: &str| -> Vec<f32> {
            let pooled_logits = linear(&w, &format!("{name}.pooled"), &pooled);
            shape
                .action_heads
                .iter()
                .map(|head| match head {
                    ActionHead::Pooled { column } => pooled_logits[*column],
                    ActionHead::Tied {
                        token,
                        column,
                        family,
                    } => linear(&w, &format!("{name}.tied.{family}"), &h[1 + token])[*column],
                })
                .collect()
        };
        (
            logits("forward"),
            logits("backward"),
            linear(&w, "flow", &pooled)[0],
        )
    }

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-4, "{a:?}\n{b:?}");
        }
    }

    #[test]
    fn the_forward_pass_is_the_transformer_computed_by_hand() {
        let env = env();
        for (d_model, heads) in [(2, 1), (4, 2)] {
            let policy = policy(&env, d_model, heads);
            let states = [vec![0, 2, 0, 1, 0], vec![1, 1, 2, 0, 1]];
            for state in &states {
                let x = policy.inputs(&env, state).expect("inputs");
                let (forward, backward, flow) = by_hand(&env, &policy, state);
                for track in [false, true] {
                    let outputs = policy.forward(&x, track).expect("a forward pass");
                    let row = |t: &Tensor| {
                        t.flatten_all()
                            .and_then(|t| t.to_vec1::<f32>())
                            .expect("f32")
                    };
                    close(&row(&outputs.forward), &forward);
                    close(&row(&outputs.backward.expect("a backward head")), &backward);
                    close(&row(&outputs.flow.expect("a flow head")), &[flow]);
                }
                let sampled = policy.forward_logits(&x).expect("logits");
                close(
                    &sampled
                        .flatten_all()
                        .and_then(|t| t.to_vec1::<f32>())
                        .expect("f32"),
                    &forward,
                );
            }
        }
    }

    #[test]
    fn permuting_the_elements_permutes_the_tied_logits() {
        let env = env();
        let policy = policy(&env, 8, 2);
        // Without position embeddings the encoder cannot tell the cells apart: what scores
        // `put(i, v)` must then move with cell i.
        let positions =
            policy.varmap.data().lock().expect("not poisoned")["encoder.positions"].clone();
        let row =
            Tensor::new(&[0.3f32, -0.2, 0.1, 0.5, -0.4, 0.2, 0.0, 0.7], &Device::Cpu).expect("row");
        positions
            .set(
                &row.unsqueeze(0)
                    .and_then(|r| r.broadcast_as((4, 8)))
                    .and_then(|r| r.contiguous())
                    .expect("rows"),
            )
            .expect("set");
        let state = [0, 2, 1, 0, 0];
        let permutation = [2, 0, 3, 1]; // cell k of `state` moves to cell permutation[k]
        let mut permuted = state;
        for k in 0..4 {
            permuted[permutation[k]] = state[k];
        }
        let logits = |s: &[i32]| {
            let x = policy.inputs(&env, s).expect("inputs");
            let out = policy.forward_logits(&x).expect("logits");
            out.flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .expect("f32")
        };
        let (a, b) = (logits(&state), logits(&permuted));
        // put(i, v) is action 2i + (v - 1); close() is action 8; stop does not exist.
        for i in 0..4 {
            for v in 0..2 {
                assert!(
                    (a[2 * i + v] - b[2 * permutation[i] + v]).abs() < 1e-5,
                    "{a:?}\n{b:?}"
                );
            }
        }
        assert!((a[8] - b[8]).abs() < 1e-5);
        // And the logits do differ between cells, so the test can fail.
        assert!((a[0] - a[2]).abs() > 1e-4);
        // One head scores every cell: its size does not grow with the number of cells.
        let names: Vec<String> = weights(&policy)
            .into_keys()
            .filter(|n| n.starts_with("forward.tied"))
            .collect();
        assert_eq!(names.len(), 2);
        assert_eq!(
            policy.varmap.data().lock().expect("not poisoned")["forward.tied.0.weight"].dims(),
            &[2, 8]
        );
    }
}
