//! Every diagnostic code, as a constant: `codes::check::TYPE_MISMATCH` is
//! `"gfn::check::type_mismatch"`. A code is written here once and used by name everywhere else;
//! [`ALL`] lists them for the tests that every code has a snapshot test and an entry (anchor)
//! in `docs/reference.md#diagnostic-codes`, which each constant's doc line summarises.

macro_rules! codes {
    ($($(#[$stage_doc:meta])* $stage:ident { $($(#[$doc:meta])* $name:ident = $code:literal,)* })*) => {
        $(
            $(#[$stage_doc])*
            pub mod $stage {
                $($(#[$doc])* pub const $name: &str = $code;)*
            }
        )*
        /// Every code, stage by stage.
        pub const ALL: &[&str] = &[$($($stage::$name,)*)*];
    };
}

codes! {
    /// Reading the text (`syntax/`).
    parse {
        /// a bug in gfnc's parser; please report it with the file.
        INTERNAL = "gfn::parse::internal",
        /// the text is not `.gfn` syntax; the message says what was expected and what was found, and names Python or Rust habits (`&&`, `!`, `True`, `a if c else b`, `//` comments, commas between effects, `x: int` in the state) with the `.gfn` spelling.
        SYNTAX = "gfn::parse::syntax",
        /// brackets nested over 64 deep, or an expression nested over 256 operations deep: name parts with `let`.
        TOO_DEEP = "gfn::parse::too_deep",
        /// the file is over 1 MiB.
        TOO_LARGE = "gfn::parse::too_large",
    }
    /// Names, types and constants (`check/`).
    check {
        /// an edge of `adjacency(N, EDGES)` names a node outside `0..N`.
        ADJACENCY_NODE = "gfn::check::adjacency_node",
        /// a bool used as a number (in arithmetic, an ordering, a `sum`, the reward); convert with `float(b)` or `int(b)`, or use `count`.
        BOOL_AS_NUMBER = "gfn::check::bool_as_number",
        /// a constant divides by zero.
        DIVISION_BY_ZERO = "gfn::check::division_by_zero",
        /// a constant applies a function outside its domain (`log` of a non-positive number, `sqrt` of a negative one, a negative int power, `floor` of an infinity).
        DOMAIN_ERROR = "gfn::check::domain_error",
        /// a param, const, field or let name is defined twice.
        DUPLICATE_DEFINITION = "gfn::check::duplicate_definition",
        /// `env`, `state`, `stop`, `done` or `mode` appears more than once.
        DUPLICATE_ITEM = "gfn::check::duplicate_item",
        /// more than one `reward`/`log_reward` item.
        DUPLICATE_REWARD = "gfn::check::duplicate_reward",
        /// `.insert`, `.remove`, `.push` or `.pop` used inside an expression; effects go inside an action's `{ }`.
        EFFECT_IN_EXPRESSION = "gfn::check::effect_in_expression",
        /// an effect writes something that is not a state field (a param, const, let or action argument).
        EFFECT_ON_NON_STATE = "gfn::check::effect_on_non_state",
        /// a constant takes the `min` or `max` of no element.
        EMPTY_AGGREGATE = "gfn::check::empty_aggregate",
        /// a state type's range or an action argument's domain has no value (possibly because of a `--set`).
        EMPTY_RANGE = "gfn::check::empty_range",
        /// the state holds no value at all.
        EMPTY_STATE = "gfn::check::empty_state",
        /// another item comes before `env`.
        ENV_NOT_FIRST = "gfn::check::env_not_first",
        /// `extern("")`: the scorer's command is empty.
        EXTERN_COMMAND = "gfn::check::extern_command",
        /// `extern` used outside the `reward`/`log_reward` item (a `let` included).
        EXTERN_OUTSIDE_REWARD = "gfn::check::extern_outside_reward",
        /// a bound or length of a state type is a float; states hold ints and bools only.
        FLOAT_IN_STATE = "gfn::check::float_in_state",
        /// a `when` of an action, `stop`, `done` or `mode` is not a bool.
        GUARD_NOT_BOOL = "gfn::check::guard_not_bool",
        /// a constant index is outside an array, found when checking.
        INDEX_OUT_OF_RANGE = "gfn::check::index_out_of_range",
        /// a field's initial value is not a value of its type.
        INITIAL_OUT_OF_RANGE = "gfn::check::initial_out_of_range",
        /// `//` or `%` applied to a float; use `floor(a / b)` or convert.
        INTEGER_ONLY = "gfn::check::integer_only",
        /// a bug in gfnc's checker; please report it with the file.
        INTERNAL = "gfn::check::internal",
        /// an integer literal that does not fit 64 bits, or a float literal beyond about ±1.8e308.
        LITERAL_OUT_OF_RANGE = "gfn::check::literal_out_of_range",
        /// `load` could not read its table: a missing file, an unknown extension, a bad cell, ragged rows, mixed bools and numbers, too many values.
        LOAD = "gfn::check::load",
        /// `load` used elsewhere than in a const's value.
        LOAD_NOT_CONSTANT = "gfn::check::load_not_constant",
        /// a string elsewhere than as the argument of `load` or `extern`.
        MISPLACED_STRING = "gfn::check::misplaced_string",
        /// the file has no `env NAME` item.
        MISSING_ENV = "gfn::check::missing_env",
        /// the file has neither `stop` nor `done`, so no trajectory could end.
        MISSING_EXIT = "gfn::check::missing_exit",
        /// the file has no `reward` or `log_reward` item.
        MISSING_REWARD = "gfn::check::missing_reward",
        /// the file has no `state { ... }` item.
        MISSING_STATE = "gfn::check::missing_state",
        /// an array, sequence or repeated-array length is negative.
        NEGATIVE_LENGTH = "gfn::check::negative_length",
        /// an action has no effect (it would be a self-loop).
        NO_EFFECT = "gfn::check::no_effect",
        /// something that has no elements (an int, a bool) used as the domain of an aggregate, an action argument or `in`; write a range such as `0..N`.
        NOT_A_DOMAIN = "gfn::check::not_a_domain",
        /// a built-in function's name used as a value (`x + abs`).
        NOT_A_VALUE = "gfn::check::not_a_value",
        /// a param, const or field called like a function (`x(1)`); index arrays with `x[i]`.
        NOT_CALLABLE = "gfn::check::not_callable",
        /// a state field or a let used where a constant is needed (bounds, lengths, domains, initial values, params, consts).
        NOT_CONSTANT = "gfn::check::not_constant",
        /// an int, bool or set (or a place of such a type) indexed with `[ ]`.
        NOT_INDEXABLE = "gfn::check::not_indexable",
        /// a constant's int arithmetic leaves 64 bits.
        OVERFLOW = "gfn::check::overflow",
        /// one action writes provably the same place twice.
        PLACE_WRITTEN_TWICE = "gfn::check::place_written_twice",
        /// a range `A..B` used as a value; ranges appear only in state types, action arguments, aggregates and after `in`.
        RANGE_OUTSIDE_DOMAIN = "gfn::check::range_outside_domain",
        /// a let, param or const defined in terms of itself, directly or through others.
        RECURSIVE_DEFINITION = "gfn::check::recursive_definition",
        /// a built-in function or type name (`sum`, `len`, `int`, `set`, ...) used as the name of a definition, argument or variable.
        RESERVED_NAME = "gfn::check::reserved_name",
        /// `--set NAME=...` names a const, field or let; only params can be set.
        SET_NOT_A_PARAM = "gfn::check::set_not_a_param",
        /// `--set NAME=...` names no param of the file.
        SET_UNKNOWN_PARAM = "gfn::check::set_unknown_param",
        /// a `--set` value does not parse as the param's declared type, or an array value has the wrong shape.
        SET_WRONG_TYPE = "gfn::check::set_wrong_type",
        /// an action argument, let parameter or aggregate variable reuses a name already defined or in scope.
        SHADOWED_NAME = "gfn::check::shadowed_name",
        /// lets nested over 512 deep.
        TOO_DEEP = "gfn::check::too_deep",
        /// an array value over 2^20 scalars, a length or domain over 2^20, a state over 65,536 slots, or a constant whose evaluation visits over 10^7 aggregate elements.
        TOO_LARGE = "gfn::check::too_large",
        /// an expression has the wrong type for where it is used (the message names both types).
        TYPE_MISMATCH = "gfn::check::type_mismatch",
        /// `f(i in D: e)` with `f` not one of `sum prod min max all any count`.
        UNKNOWN_AGGREGATE = "gfn::check::unknown_aggregate",
        /// a method other than `.len() .size() .contains(e)` in an expression, or an effect other than `.insert .remove .push .pop`.
        UNKNOWN_METHOD = "gfn::check::unknown_method",
        /// a name or function that is not defined (with a "did you mean" when one is close).
        UNKNOWN_NAME = "gfn::check::unknown_name",
        /// a call with the wrong number of arguments, a let value called or a let function used without arguments, `load`/`extern` without exactly one string.
        WRONG_ARITY = "gfn::check::wrong_arity",
    }
    /// Lowering to the machine (`compile/`).
    compile {
        /// a state type's bound does not fit in 32 bits.
        LAYOUT = "gfn::compile::layout",
        /// the parents of an action cannot be derived: an index of a written place reads a field the action writes, or more than 1,024 candidate parents per state.
        PARENTS = "gfn::compile::parents",
        /// more than 65,536 flat actions, or an expression over 10^6 operations or 512 deep once its lets are substituted.
        TOO_LARGE = "gfn::compile::too_large",
        /// a construct the compiler does not support: arrays (or repeated arrays) of arrays built from state values.
        UNSUPPORTED = "gfn::compile::unsupported",
    }
    /// Run-time errors of the model and the environment's checks (`env/`).
    env {
        /// a step was asked for an action index that does not exist (from the library API, never from a `.gfn` file).
        BAD_ACTION = "gfn::env::bad_action",
        /// a terminal object's reward is not finite, or below 2.2e-308 (zero, negative), or its log reward is not finite.
        BAD_REWARD = "gfn::env::bad_reward",
        /// an action leads back to an earlier state (the cycle's states are printed).
        CYCLE = "gfn::env::cycle",
        /// a reachable state that is not `done` allows no action and not `stop`.
        DEAD_END = "gfn::env::dead_end",
        /// a division by zero while evaluating the environment.
        DIVISION_BY_ZERO = "gfn::env::division_by_zero",
        /// a function applied outside its domain (`log(0)`, `sqrt(-1)`, a negative int power, a non-finite float where an int is needed).
        DOMAIN_ERROR = "gfn::env::domain_error",
        /// `min` or `max` over no element.
        EMPTY_AGGREGATE = "gfn::env::empty_aggregate",
        /// an index outside an array or a sequence's current length.
        INDEX_OUT_OF_RANGE = "gfn::env::index_out_of_range",
        /// a bug in gfnc's environment; please report it with the file.
        INTERNAL = "gfn::env::internal",
        /// one action leads to the same state from two different states.
        NON_INJECTIVE = "gfn::env::non_injective",
        /// a derived parent of a reachable state is not reachable from s0.
        ORPHAN_PARENT = "gfn::env::orphan_parent",
        /// an effect would leave a field's type: an int outside its range, a set member outside its universe, a push onto a full sequence or a pop from an empty one.
        OUT_OF_RANGE = "gfn::env::out_of_range",
        /// int arithmetic left 64 bits.
        OVERFLOW = "gfn::env::overflow",
        /// two effects of one action wrote the same place in this state (their indices coincide).
        PLACE_WRITTEN_TWICE = "gfn::env::place_written_twice",
        /// an external scorer failed: it could not start, exited, timed out, or answered something other than a JSON array of as many finite numbers (positive ones for `reward extern(...)`).
        SCORER = "gfn::env::scorer",
        /// one aggregate would visit more than 10^7 elements.
        TOO_LARGE = "gfn::env::too_large",
        /// a trajectory (sampled, probed, estimated or walked back) took more actions than `--max-length` (default 10,000) without ending.
        TOO_LONG = "gfn::env::too_long",
        /// the command needs the whole reachable graph (for example `gfnc enumerate`) and it exceeds `--max-states` or `--max-memory`.
        TOO_MANY_STATES = "gfn::env::too_many_states",
        /// a forward edge whose parent the derivation did not find (pin the overwritten values in the `when`; if that does not help, a gfnc bug).
        UNDERIVED_PARENT = "gfn::env::underived_parent",
    }
    /// Errors of gfnc itself, not of the program.
    internal {
        /// the language server met an internal error while checking a file and shows it as a diagnostic instead of stopping.
        PANIC = "gfn::internal::panic",
        /// gfnc could not start the worker thread it checks files on.
        THREAD = "gfn::internal::thread",
    }
}
