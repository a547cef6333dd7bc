//! The sampler's network: an MLP trunk over the environment's one-hot encoding, or a
//! transformer over the state's elements ([`super::transformer`]), with heads for forward
//! logits over the flat action space, backward logits (when P_B is learned), state log-flows
//! (for DB and SubTB), and a learned log Z (for TB). Weights are initialised from the run's own
//! seeded RNG, like PyTorch's `nn.Linear` (uniform in ±1/√fan_in).

use candle_core::{Device, Result, Tensor, Var};
use candle_nn::VarMap;
use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::sparse::{self, ActiveRows};
use super::transformer::{Transformer, TransformerShape};

/// The policy a run asks for (`--policy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyChoice {
    /// An MLP over the one-hot encoding (what runs saved before `--policy` used).
    #[default]
    Mlp,
    /// A transformer over the elements of sequence and array fields, with tied action heads.
    Transformer,
    /// Chosen from the state's type by [`auto_choice`].
    Auto,
}

impl PolicyChoice {
    /// The architecture this choice trains on `env`.
    pub fn resolve(self, env: &crate::env::Environment) -> Architecture {
        match self {
            PolicyChoice::Mlp => Architecture::Mlp,
            PolicyChoice::Transformer => Architecture::Transformer,
            PolicyChoice::Auto => auto_choice(env),
        }
    }
}

/// A network architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// An MLP over the one-hot encoding.
    Mlp,
    /// A transformer over the state's elements.
    Transformer,
}

impl From<Architecture> for PolicyChoice {
    fn from(architecture: Architecture) -> PolicyChoice {
        match architecture {
            Architecture::Mlp => PolicyChoice::Mlp,
            Architecture::Transformer => PolicyChoice::Transformer,
        }
    }
}

/// What `--policy auto` trains on `env`: the MLP for now (the fastest on small flat states; the
/// transformer's gains are still to be measured per shape of state).
pub fn auto_choice(_env: &crate::env::Environment) -> Architecture {
    Architecture::Mlp
}

/// The shape of the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyShape {
    /// Input features: the width of the environment's one-hot encoding (for the transformer:
    /// token ids and scalar features).
    pub inputs: usize,
    /// Units per hidden layer.
    pub hidden: usize,
    /// Hidden layers of the trunk, each followed by a ReLU.
    pub layers: usize,
    /// Logits per head: the flat action space, `stop` included.
    pub actions: usize,
    /// Whether there is a backward head (a learned P_B).
    pub learned_backward: bool,
    /// The backward head sits on a trunk of its own (torchgfn's separate P_B network) rather
    /// than on the forward policy's.
    pub separate_backward: bool,
    /// Whether there is a state-flow head (DB and SubTB).
    pub flows: bool,
    /// The transformer's shape; `None` for the MLP.
    pub transformer: Option<TransformerShape>,
    /// The MLP's first layer reads the indices of the input's ones instead of the dense
    /// one-hot rows (a wide encoding with few ones: [`sparse::pays`]); the same weights.
    pub sparse_inputs: bool,
}

impl PolicyShape {
    /// The network a run of `config` trains on `env`.
    pub fn for_run(env: &crate::env::Environment, config: &super::Config) -> PolicyShape {
        let transformer = match config.policy.resolve(env) {
            Architecture::Mlp => None,
            Architecture::Transformer => Some(TransformerShape::new(
                env,
                config.d_model,
                config.heads,
                config.layers,
                config.set_members,
            )),
        };
        PolicyShape {
            inputs: match &transformer {
                Some(t) => t.tokens.width(),
                None => env.encoding_width(),
            },
            hidden: config.hidden,
            layers: config.layers,
            actions: env.action_count(),
            learned_backward: config.learned_backward,
            separate_backward: config.learned_backward && config.separate_backward,
            flows: config.objective.needs_flows(),
            sparse_inputs: transformer.is_none()
                && sparse::pays(env.encoding_width(), env.max_active_features()),
            transformer,
        }
    }

    /// Its architecture.
    pub fn architecture(&self) -> Architecture {
        match self.transformer {
            Some(_) => Architecture::Transformer,
            None => Architecture::Mlp,
        }
    }
}

/// A new variable of `shape` holding `values`, registered in `varmap` under `name`.
pub(super) fn variable(
    varmap: &VarMap,
    name: &str,
    values: Vec<f32>,
    shape: impl Into<candle_core::Shape>,
) -> Result<Var> {
    let var = Var::from_vec(values, shape, &Device::Cpu)?;
    varmap
        .data()
        .lock()
        .map_err(|_| candle_core::Error::Msg("the variable map is poisoned".into()))?
        .insert(name.to_string(), var.clone());
    Ok(var)
}

/// A linear layer `y = x Wᵀ + b` over two variables.
#[derive(Clone)]
pub(super) struct Layer {
    weight: Var,
    bias: Var,
}

impl Layer {
    pub(super) fn new(
        varmap: &VarMap,
        name: &str,
        inputs: usize,
        outputs: usize,
        rng: &mut StdRng,
    ) -> Result<Layer> {
        let bound = 1.0 / (inputs.max(1) as f32).sqrt();
        let weight: Vec<f32> = (0..inputs * outputs)
            .map(|_| rng.random_range(-bound..bound))
            .collect();
        let bias: Vec<f32> = (0..outputs)
            .map(|_| rng.random_range(-bound..bound))
            .collect();
        let weight = Var::from_vec(weight, (outputs, inputs), &Device::Cpu)?;
        let bias = Var::from_vec(bias, outputs, &Device::Cpu)?;
        let mut data = varmap
            .data()
            .lock()
            .map_err(|_| candle_core::Error::Msg("the variable map is poisoned".into()))?;
        data.insert(format!("{name}.weight"), weight.clone());
        data.insert(format!("{name}.bias"), bias.clone());
        Ok(Layer { weight, bias })
    }

    pub(super) fn forward(&self, x: &Tensor, track: bool) -> Result<Tensor> {
        let (w, b) = self.tensors(track);
        x.matmul(&w.t()?)?.broadcast_add(&b)
    }

    /// The layer on the network's inputs, dense or given by the indices of their ones.
    fn forward_inputs(&self, x: &Inputs, track: bool) -> Result<Tensor> {
        match x {
            Inputs::Dense(x) => self.forward(x, track),
            Inputs::Active(active) => {
                let (w, b) = self.tensors(track);
                sparse::sum_of_columns(&w, active)?.broadcast_add(&b)
            }
        }
    }

    fn tensors(&self, track: bool) -> (Tensor, Tensor) {
        if track {
            (
                self.weight.as_tensor().clone(),
                self.bias.as_tensor().clone(),
            )
        } else {
            (
                self.weight.as_detached_tensor(),
                self.bias.as_detached_tensor(),
            )
        }
    }

    /// Its weight and bias, in that order.
    pub(super) fn vars(&self, out: &mut Vec<Var>) {
        out.push(self.weight.clone());
        out.push(self.bias.clone());
    }
}

/// A batch of the network's inputs, one row per state.
#[derive(Clone, Debug)]
pub enum Inputs {
    /// `[n, inputs]` features: the one-hot encoding, or the transformer's tokens and scalars.
    Dense(Tensor),
    /// The one-hot encoding given by the indices of its ones (the MLP's sparse first layer).
    Active(ActiveRows),
}

impl Inputs {
    /// The `[n, inputs]` features (the one-hot rows written out for [`Inputs::Active`]).
    pub fn dense(&self) -> Result<Tensor> {
        match self {
            Inputs::Dense(x) => Ok(x.clone()),
            Inputs::Active(active) => active.to_dense(),
        }
    }
}

/// What one forward pass gives, one row per input state.
pub struct Outputs {
    /// Forward logits over the flat action space, `[n, actions]`.
    pub forward: Tensor,
    /// Backward logits, `[n, actions]`, when P_B is learned.
    pub backward: Option<Tensor>,
    /// Log state flows, `[n]`, when the objective uses them.
    pub flow: Option<Tensor>,
}

/// The sampler's network and its learned log Z.
pub struct Policy {
    /// The shape it was built with.
    pub shape: PolicyShape,
    /// Every variable by name (`trunk.0.weight`, `forward.bias`, `log_z`, ...), as checkpoints store them.
    pub varmap: VarMap,
    network: Network,
    /// The learned log partition function (TB).
    pub log_z: Var,
}

/// The network proper, by architecture.
enum Network {
    Mlp(Mlp),
    Transformer(Box<Transformer>),
}

/// The MLP: a trunk of ReLU layers and linear heads.
struct Mlp {
    trunk: Vec<Layer>,
    /// Empty unless the backward policy has its own trunk.
    backward_trunk: Vec<Layer>,
    forward_head: Layer,
    backward_head: Option<Layer>,
    flow_head: Option<Layer>,
}

impl Policy {
    /// A fresh network of `shape`, weights drawn from `rng` like PyTorch's `nn.Linear`; log Z starts at 0.
    pub fn new(shape: PolicyShape, rng: &mut StdRng) -> Result<Policy> {
        let varmap = VarMap::new();
        let network = match &shape.transformer {
            Some(transformer) => Network::Transformer(Box::new(Transformer::new(
                &varmap,
                &shape,
                transformer,
                rng,
            )?)),
            None => Network::Mlp(Mlp::new(&varmap, &shape, rng)?),
        };
        let log_z = variable(&varmap, "log_z", vec![0.0], 1)?;
        Ok(Policy {
            shape,
            varmap,
            network,
            log_z,
        })
    }

    /// The network's inputs for states back to back: the one-hot encoding for the MLP (as the
    /// indices of its ones with [`PolicyShape::sparse_inputs`]), token ids and scalar features
    /// for the transformer.
    pub fn inputs(&self, env: &crate::env::Environment, states: &[i32]) -> Result<Inputs> {
        if self.shape.sparse_inputs {
            let mut indices = Vec::new();
            let mut starts = vec![0];
            for state in states.chunks_exact(env.width().max(1)) {
                env.encode_active(state, &mut indices);
                starts.push(indices.len());
            }
            return ActiveRows::new(indices, &starts, self.shape.inputs).map(Inputs::Active);
        }
        let n = states.len() / env.width().max(1);
        let e = self.shape.inputs;
        let mut features = vec![0.0f32; n * e];
        match &self.shape.transformer {
            Some(transformer) => {
                env.encode_tokens_batch(&transformer.tokens, states, &mut features)
            }
            None => env.encode_batch(states, &mut features),
        }
        Tensor::from_vec(features, (n, e), &Device::Cpu).map(Inputs::Dense)
    }

    /// Switch the MLP's first layer between the sparse and the dense computation (the same
    /// weights and, up to float rounding, the same outputs): for tests and measurements.
    pub fn set_sparse_inputs(&mut self, sparse: bool) {
        self.shape.sparse_inputs = sparse && self.shape.transformer.is_none();
    }

    /// Run the network on [`Policy::inputs`]. With `track` false no autograd graph is built
    /// (sampling); with it true the outputs can be differentiated (the loss).
    pub fn forward(&self, x: &Inputs, track: bool) -> Result<Outputs> {
        match &self.network {
            Network::Mlp(mlp) => mlp.forward(x, track),
            Network::Transformer(transformer) => transformer.forward(&x.dense()?, track),
        }
    }

    /// Forward logits only: what sampling needs.
    pub fn forward_logits(&self, x: &Inputs) -> Result<Tensor> {
        match &self.network {
            Network::Mlp(mlp) => mlp.forward_logits(x),
            Network::Transformer(transformer) => transformer.forward_logits(&x.dense()?),
        }
    }

    /// Backward logits only (backward sampling), when P_B is learned.
    pub fn backward_logits(&self, x: &Inputs) -> Result<Option<Tensor>> {
        match &self.network {
            Network::Mlp(mlp) => mlp.backward_logits(x),
            Network::Transformer(transformer) => transformer.backward_logits(&x.dense()?),
        }
    }

    /// The learned log Z as a number.
    pub fn log_z_value(&self) -> Result<f64> {
        Ok(f64::from(self.log_z.as_tensor().to_vec1::<f32>()?[0]))
    }

    /// Every trainable variable except log Z, in a fixed order (for the optimiser).
    pub fn network_vars(&self) -> Vec<Var> {
        let mut vars = Vec::new();
        match &self.network {
            Network::Mlp(mlp) => mlp.vars(&mut vars),
            Network::Transformer(transformer) => transformer.vars(&mut vars),
        }
        vars
    }
}

impl Mlp {
    fn new(varmap: &VarMap, shape: &PolicyShape, rng: &mut StdRng) -> Result<Mlp> {
        let mlp = |name: &str, rng: &mut StdRng| -> Result<Vec<Layer>> {
            let mut layers = Vec::new();
            let mut width = shape.inputs;
            for k in 0..shape.layers {
                layers.push(Layer::new(
                    varmap,
                    &format!("{name}.{k}"),
                    width,
                    shape.hidden,
                    rng,
                )?);
                width = shape.hidden;
            }
            Ok(layers)
        };
        let trunk = mlp("trunk", rng)?;
        let backward_trunk = match shape.separate_backward {
            true => mlp("backward_trunk", rng)?,
            false => Vec::new(),
        };
        let width = if shape.layers == 0 {
            shape.inputs
        } else {
            shape.hidden
        };
        let forward_head = Layer::new(varmap, "forward", width, shape.actions, rng)?;
        let backward_head = match shape.learned_backward {
            true => Some(Layer::new(varmap, "backward", width, shape.actions, rng)?),
            false => None,
        };
        let flow_head = match shape.flows {
            true => Some(Layer::new(varmap, "flow", width, 1, rng)?),
            false => None,
        };
        Ok(Mlp {
            trunk,
            backward_trunk,
            forward_head,
            backward_head,
            flow_head,
        })
    }

    fn forward(&self, x: &Inputs, track: bool) -> Result<Outputs> {
        let h = run(&self.trunk, x, track)?;
        let forward = self.forward_head.forward(&h, track)?;
        let backward = self.backward_from(x, Some(h.clone()), track)?;
        let flow = match &self.flow_head {
            Some(head) => Some(head.forward(&h, track)?.squeeze(1)?),
            None => None,
        };
        Ok(Outputs {
            forward,
            backward,
            flow,
        })
    }

    fn forward_logits(&self, x: &Inputs) -> Result<Tensor> {
        self.forward_head
            .forward(&run(&self.trunk, x, false)?, false)
    }

    fn backward_logits(&self, x: &Inputs) -> Result<Option<Tensor>> {
        let h = match self.backward_trunk.is_empty() {
            true => Some(run(&self.trunk, x, false)?),
            false => None,
        };
        self.backward_from(x, h, false)
    }

    /// The backward head on its own trunk, or on the shared trunk's output `h`.
    fn backward_from(&self, x: &Inputs, h: Option<Tensor>, track: bool) -> Result<Option<Tensor>> {
        let Some(head) = &self.backward_head else {
            return Ok(None);
        };
        let h = match (self.backward_trunk.is_empty(), h) {
            (true, Some(h)) => h,
            _ => run(&self.backward_trunk, x, track)?,
        };
        Ok(Some(head.forward(&h, track)?))
    }

    fn vars(&self, vars: &mut Vec<Var>) {
        let layers = self
            .trunk
            .iter()
            .chain(&self.backward_trunk)
            .chain(std::iter::once(&self.forward_head))
            .chain(&self.backward_head)
            .chain(&self.flow_head);
        for layer in layers {
            layer.vars(vars);
        }
    }
}

/// Layers with ReLU after each (the inputs themselves when there are none).
fn run(layers: &[Layer], x: &Inputs, track: bool) -> Result<Tensor> {
    let Some((first, rest)) = layers.split_first() else {
        return x.dense();
    };
    let mut h = first.forward_inputs(x, track)?.relu()?;
    for layer in rest {
        h = layer.forward(&h, track)?.relu()?;
    }
    Ok(h)
}
