//! The transformer policy: the state as tokens ([`crate::env::tokens`]: one per element of each
//! sequence or array field, plus one context token for the scalar fields), a few pre-LayerNorm
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
    ) -> TransformerShape {
        let tokens = env.token_layout();
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
