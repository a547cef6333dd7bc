//! One line about each built-in function, aggregate and method, shown on hover.
//!
//! The wording follows docs/spec.md and docs/language.md; `tests` below pins that every name
//! the language documents has a line.

/// The signature and meaning of a built-in called as a function (or aggregate), if any.
pub fn function(name: &str) -> Option<&'static str> {
    Some(match name {
        "abs" => "abs(x): the absolute value; keeps the argument's type",
        "exp" => "exp(x): e to the power x, a float",
        "log" => "log(x): the natural logarithm, a float; an error for x <= 0",
        "sqrt" => "sqrt(x): the square root; exact for exact perfect squares, an error for x < 0",
        "sin" => "sin(x): the sine of x in radians, a float",
        "cos" => "cos(x): the cosine of x in radians, a float",
        "tanh" => "tanh(x): the hyperbolic tangent, a float",
        "floor" => "floor(x): the greatest int <= x",
        "ceil" => "ceil(x): the least int >= x",
        "round" => "round(x): the nearest int; halves round to even, as in Python",
        "float" => "float(x): a number or bool as a float (true is 1)",
        "int" => "int(x): a number truncated toward zero, or a bool as 0/1",
        "len" | "size" => "len(c) / size(c): the number of elements of an array, set or sequence",
        "min" => "min(a, b), min(c) or min(i in D: e): the least number",
        "max" => "max(a, b), max(c) or max(i in D: e): the greatest number",
        "sum" => "sum(i in D: e) or sum(c): the sum of numbers over a domain or collection",
        "prod" => "prod(i in D: e) or prod(c): the product of numbers over a domain or collection",
        "all" => "all(i in D: e) or all(c): whether every bool is true (true when empty)",
        "any" => "any(i in D: e) or any(c): whether some bool is true (false when empty)",
        "count" => "count(i in D: e) or count(c): how many bools are true, an int",
        "reachable" => {
            "reachable(adj, i, j): a directed path of one edge or more from i to j in the square adjacency matrix adj"
        }
        "acyclic" => "acyclic(adj): the square adjacency matrix has no directed cycle (self-loops included)",
        "adjacency" => {
            "adjacency(N, EDGES): the [[bool; N]; N] matrix of a constant edge list [[from, to], ...]"
        }
        "load" => {
            "load(\"PATH\"): a numeric table (.csv, .json, .npy) read when the file is checked, relative to its folder"
        }
        "extern" => {
            "extern(\"COMMAND\"): a reward computed by an external program (reward item only; see docs/scorers.md)"
        }
        _ => return None,
    })
}

/// The meaning of a method, in an expression or as an effect, if any.
pub fn method(name: &str) -> Option<&'static str> {
    Some(match name {
        "len" | "size" => "c.len() / c.size(): the number of elements, as len(c)",
        "contains" => "S.contains(e): membership, as `e in S`",
        "insert" => "S.insert(e): effect; adds e to the set field S",
        "remove" => "S.remove(e): effect; removes e from the set field S",
        "push" => "Q.push(e): effect; appends e to the sequence field Q",
        "pop" => "Q.pop(): effect; removes the last element of the sequence field Q",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_built_in_function_has_a_description() {
        // The reserved function names of docs/language.md, and the unreserved built-ins.
        let names = "abs exp log sqrt sin cos tanh floor ceil round float int len size min max \
                     sum prod all any count reachable acyclic adjacency load extern";
        for name in names.split_whitespace() {
            assert!(
                super::function(name).is_some(),
                "no hover line for `{name}`"
            );
        }
        assert!(super::function("bool").is_none());
    }
}
