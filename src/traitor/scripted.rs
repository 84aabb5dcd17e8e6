//! `scripted`: a strategy written as rules in a TOML file, so an attack can be
//! tried without writing Rust.
//!
//! ```toml
//! name = "lie-to-one"              # optional, shown in results
//! description = "general 2 lies to 1"
//!
//! [[rule]]
//! from = 2              # optional: which traitor(s) the rule is for
//! to = [1]              # optional: receiver(s)
//! round = 2             # optional: round(s), 1 = the commander's
//! path = [0, 2]         # optional, OM only: the message's full path 0:...:sender
//! send = "retreat"      # attack | retreat | flip | silent | honest
//! ```
//!
//! The first rule that matches a message decides it; a message no rule
//! matches is sent honestly. Each of `from`, `to` and `round` takes one number
//! or a list. Under SM a lieutenant cannot sign for others: `attack`/`retreat`
//! keeps the orders that already carry that value and re-signs the others
//! with the new value (loyal receivers reject those); a traitor commander
//! signs the value it is told to send. Rules with `path` never match under SM.

use super::{Strategy, StrategyError, TraitorCtx, commander_sends, relay_as};
use crate::protocol::sm::SignedOrder;
use crate::types::{GeneralId, Round, Value};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a general id or round (a whole number >= 0), or a list of them"
)]
enum OneOrMany {
    One(u32),
    Many(Vec<u32>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<u32> {
        match self {
            OneOrMany::One(x) => vec![x],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    from: Option<OneOrMany>,
    to: Option<OneOrMany>,
    round: Option<OneOrMany>,
    path: Option<Vec<u32>>,
    send: String,
}

/// What a matching rule sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this value.
    Send(Value),
    /// Send the opposite of the honest value.
    Flip,
    /// Send nothing.
    Silent,
    /// Send the honest value.
    Honest,
}

/// One rule of a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Traitors it applies to (`None` = all).
    pub from: Option<Vec<u32>>,
    /// Receivers (`None` = all).
    pub to: Option<Vec<u32>>,
    /// Rounds (`None` = all).
    pub round: Option<Vec<u32>>,
    /// Exact OM path (`None` = any).
    pub path: Option<Vec<u32>>,
    /// What to send.
    pub action: Action,
}

/// A parsed script, validated against a run by [`Script::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// Name shown in results.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Rules, first match wins.
    pub rules: Vec<Rule>,
}

impl Script {
    /// Parses a script; `source` names the file in errors.
    pub fn parse(text: &str, source: &str) -> Result<Script, StrategyError> {
        let raw: RawScript = toml::from_str(text).map_err(|e| StrategyError::Parse {
            path: source.to_string(),
            message: crate::files::one_line(&e.to_string()),
        })?;
        let invalid = |message: String| StrategyError::Invalid {
            path: source.to_string(),
            message,
        };
        let mut rules = Vec::with_capacity(raw.rule.len());
        for (i, r) in raw.rule.into_iter().enumerate() {
            let action = match r.send.to_ascii_lowercase().as_str() {
                "attack" => Action::Send(Value::Attack),
                "retreat" => Action::Send(Value::Retreat),
                "flip" => Action::Flip,
                "silent" => Action::Silent,
                "honest" => Action::Honest,
                other => {
                    return Err(invalid(format!(
                        "rule {}: send = \"{other}\" is not one of attack, retreat, flip, silent, honest",
                        i + 1
                    )));
                }
            };
            if let Some(p) = &r.path
                && p.first() != Some(&0)
            {
                return Err(invalid(format!("rule {}: a path starts with the commander, 0", i + 1)));
            }
            rules.push(Rule {
                from: r.from.map(OneOrMany::into_vec),
                to: r.to.map(OneOrMany::into_vec),
                round: r.round.map(OneOrMany::into_vec),
                path: r.path,
                action,
            });
        }
        if rules.is_empty() {
            return Err(invalid("the script has no [[rule]]".into()));
        }
        let stem = std::path::Path::new(source)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scripted".into());
        // The name lands in results rows and tables: one short line of text.
        if let Some(name) = &raw.name
            && (name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c == ','))
        {
            return Err(invalid(format!(
                "name {name:?} must be 1 to 64 characters with no line break, control character or comma"
            )));
        }
        Ok(Script {
            name: raw.name.unwrap_or(stem),
            description: raw.description.unwrap_or_default(),
            rules,
        })
    }

    /// Checks every id and round against a run of `n` generals and m rounds of
    /// relaying, so a typo is an error before the run rather than a rule that
    /// silently never fires.
    pub fn check(&self, n: usize, m: usize, source: &str) -> Result<(), StrategyError> {
        let invalid = |message: String| StrategyError::Invalid {
            path: source.to_string(),
            message,
        };
        for (i, r) in self.rules.iter().enumerate() {
            for (field, ids) in [("from", &r.from), ("to", &r.to)] {
                if let Some(bad) = ids.iter().flatten().find(|&&g| g as usize >= n) {
                    return Err(invalid(format!(
                        "rule {}: {field} = {bad} is not a general (n = {n}, ids 0..{})",
                        i + 1,
                        n - 1
                    )));
                }
            }
            if let Some(bad) = r.round.iter().flatten().find(|&&x| x == 0 || x as usize > m + 1) {
                return Err(invalid(format!(
                    "rule {}: round = {bad} is outside 1..={}",
                    i + 1,
                    m + 1
                )));
            }
            if let Some(p) = &r.path {
                let distinct = p.iter().enumerate().all(|(k, x)| !p[..k].contains(x));
                if p.len() > m + 1 || !distinct || p.iter().any(|&g| g as usize >= n) {
                    return Err(invalid(format!(
                        "rule {}: path {p:?} is not a relay path of OM({m}) with n = {n}",
                        i + 1
                    )));
                }
            }
        }
        Ok(())
    }

    fn find(&self, from: GeneralId, to: GeneralId, round: Round, path: Option<&[GeneralId]>) -> Action {
        let hit = |set: &Option<Vec<u32>>, x: u32| set.as_ref().is_none_or(|s| s.contains(&x));
        for r in &self.rules {
            let path_ok = match (&r.path, path) {
                (None, _) => true,
                (Some(want), Some(got)) => {
                    want.len() == got.len() && want.iter().zip(got).all(|(a, b)| *a == u32::from(*b))
                }
                (Some(_), None) => false,
            };
            if hit(&r.from, u32::from(from)) && hit(&r.to, u32::from(to)) && hit(&r.round, round) && path_ok {
                return r.action;
            }
        }
        Action::Honest
    }
}

/// The strategy that follows a [`Script`].
pub struct Scripted {
    script: Arc<Script>,
}

impl Scripted {
    /// A traitor following `script`.
    pub fn new(script: Arc<Script>) -> Scripted {
        Scripted { script }
    }
}

impl Strategy for Scripted {
    fn om_value(
        &mut self,
        ctx: &mut TraitorCtx<'_>,
        to: GeneralId,
        path: &[GeneralId],
        honest: Value,
    ) -> Option<Value> {
        match self.script.find(ctx.me, to, ctx.round, Some(path)) {
            Action::Send(v) => Some(v),
            Action::Flip => Some(honest.flip()),
            Action::Silent => None,
            Action::Honest => Some(honest),
        }
    }

    fn sm_orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        let action = self.script.find(ctx.me, to, ctx.round, None);
        let target = |v: Value| match action {
            Action::Send(x) => Some(x),
            Action::Flip => Some(v.flip()),
            Action::Silent => None,
            Action::Honest => Some(v),
        };
        if ctx.is_commander() {
            let v = target(ctx.coalition.order);
            commander_sends(ctx, orders, v);
            return;
        }
        let honest = std::mem::take(orders);
        for o in &honest {
            match target(o.value) {
                Some(v) if v == o.value => orders.push(o.clone()),
                Some(v) => orders.extend(relay_as(ctx, o, v)),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches_first_rule() {
        let s = Script::parse(
            r#"
            [[rule]]
            from = 2
            to = [1, 3]
            round = 2
            send = "retreat"
            [[rule]]
            path = [0, 2]
            send = "silent"
            "#,
            "lie.toml",
        )
        .unwrap();
        assert_eq!(s.name, "lie");
        assert_eq!(s.find(2, 1, 2, Some(&[0, 2])), Action::Send(Value::Retreat));
        assert_eq!(s.find(2, 4, 2, Some(&[0, 2])), Action::Silent);
        assert_eq!(s.find(2, 4, 2, None), Action::Honest);
        assert_eq!(s.find(3, 1, 2, Some(&[0, 3])), Action::Honest);
        assert!(s.check(5, 1, "lie.toml").is_ok());
        assert!(s.check(3, 1, "lie.toml").is_err(), "to = 3 out of range for n = 3");
        assert!(s.check(5, 0, "lie.toml").is_err(), "round 2 out of range for m = 0");
    }

    #[test]
    fn bad_scripts_get_clear_errors() {
        let cases = [
            ("[[rule]]\nsend = \"maybe\"", "not one of"),
            ("[[rule]]\nsend = \"attack\"\nspeed = 3", "unknown field"),
            ("[[rule]]\npath = [1]\nsend = \"attack\"", "starts with the commander"),
            ("name = \"x\"", "no [[rule]]"),
            ("[[rule]\nsend = 1", "line"),
            ("name = \"a\\nb\"\n[[rule]]\nsend = \"flip\"", "no line break"),
            ("name = \"\"\n[[rule]]\nsend = \"flip\"", "1 to 64 characters"),
        ];
        for (text, want) in cases {
            let err = Script::parse(text, "bad.toml").unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
            assert!(err.contains("bad.toml"), "{err}");
        }
    }
}
