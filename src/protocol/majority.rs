//! The paper's two decision functions.
//!
//! `majority` is OM(m)'s (section 3): the value held by a strict majority, else
//! the default RETREAT. `choice` is SM(m)'s (section 4): the single value in V
//! if V holds exactly one, else RETREAT.

use crate::types::Value;

/// Strict majority of `attack` ATTACK votes among `total` votes; RETREAT on a
/// tie or a RETREAT majority (OM(m) step 3, and the default of A3).
#[inline]
pub fn majority_of_counts(attack: usize, total: usize) -> Value {
    if attack * 2 > total {
        Value::Attack
    } else {
        Value::Retreat
    }
}

/// `majority(v1, ..., vk)`: strict majority, else RETREAT.
pub fn majority<I: IntoIterator<Item = Value>>(values: I) -> Value {
    let (mut attack, mut total) = (0, 0);
    for v in values {
        total += 1;
        attack += usize::from(v == Value::Attack);
    }
    majority_of_counts(attack, total)
}

/// `choice(V)` of SM(m): the value if V holds exactly one, else RETREAT.
pub fn choice(v: &[Value]) -> Value {
    match v {
        [only] => *only,
        _ => Value::Retreat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::{Attack as A, Retreat as R};

    #[test]
    fn majority_table() {
        let cases: &[(&[Value], Value)] = &[
            (&[], R),
            (&[A], A),
            (&[R], R),
            (&[A, R], R), // tie -> default
            (&[A, A, R], A),
            (&[A, R, R], R),
            (&[A, A, R, R], R),
            (&[A, A, A, R], A),
            (&[R, A, A, A, R], A),
        ];
        for (vals, want) in cases {
            assert_eq!(majority(vals.iter().copied()), *want, "{vals:?}");
        }
    }

    #[test]
    fn choice_table() {
        let cases: &[(&[Value], Value)] = &[(&[], R), (&[A], A), (&[R], R), (&[A, R], R), (&[R, A], R)];
        for (vals, want) in cases {
            assert_eq!(choice(vals), *want, "{vals:?}");
        }
    }
}
