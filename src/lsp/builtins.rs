//! One line about each built-in function, aggregate and method, shown on hover: read from the
//! table of built-ins ([`crate::hir::builtins::TABLE`]), whose tests pin that the
//! reference and the editor grammar cover every entry.

use crate::hir::builtins;

/// The signature and meaning of a built-in called as a function (or aggregate), if any.
pub fn function(name: &str) -> Option<String> {
    builtins::called(name).map(builtins::Entry::describe)
}

/// The meaning of a method, in an expression or as an effect, if any.
pub fn method(name: &str) -> Option<String> {
    builtins::method_named(name).map(builtins::Entry::describe)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_built_in_has_a_description() {
        for entry in crate::hir::builtins::TABLE {
            let line = if entry.is_called() {
                super::function(entry.name)
            } else {
                super::method(entry.name)
            };
            assert!(line.is_some(), "no hover line for `{}`", entry.name);
        }
        assert!(super::function("bool").is_none());
        assert_eq!(
            super::function("len"),
            Some("len(c) / size(c): the number of elements of an array, set or sequence".into())
        );
    }
}
