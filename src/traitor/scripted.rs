//! `scripted`: a strategy written as rules in a TOML file, so an attack can be
//! tried without writing Rust.
//!
//! ```toml
//! name = "lie-to-one"              # optional, shown in results
//! description = "general 2 lies to 1"
//!
//! [[rule]]
//! from = 2              # optional: which traitor(s) the rule is for
//! to = "even"           # optional: receiver(s)
//! round = "2.."         # optional: round(s), 1 = the commander's
//! path = [0, 2]         # optional, OM only: the message's full path 0:...:sender
//! send = "retreat"      # attack | retreat | flip | silent | honest
//! ```
//!
//! The first rule that matches a message decides it; a message no rule
//! matches is sent honestly. `from` and `to` take an id, a list of ids, or a
//! selector: `"all"`, `"even"`, `"odd"` (by id), `"loyal"`, `"traitors"`,
//! `"group-a"`, `"group-b"` (the halves of the loyal lieutenants the
//! coalition agrees to split, see `Coalition::pushed_value`). `round` takes a
//! number, a list, `"last"` (m + 1), `"A.."` (A and later), `"A..=B"` or
//! `"A..B"` (Rust's inclusive and exclusive ranges).
//!
//! A rule naming a general or a round that a run does not have does not
//! apply in that run: a script written for n = 9 runs at n = 4 with the
//! rules that make sense there. A rule that can never fire is an error: at
//! once for `to = 0` (the commander receives nothing), an empty list, or a
//! `path` that does not end at its `from`; in `byzlab run` for a rule with
//! no traitor among its `from`, no receiver, no round of the run, or a
//! `path` under SM (SM messages carry chains, not paths); in an experiment,
//! for a rule that fires in no run of the whole plan, checked for every
//! cell before the first run.
//!
//! Under SM a lieutenant cannot sign for others: `attack`/`retreat` keeps the
//! orders that already carry that value and re-signs the others with the new
//! value (loyal receivers reject those); a traitor commander signs the value
//! it is told to send.

use super::{Coalition, Strategy, StrategyError, TraitorCtx, commander_sends, relay_as};
use crate::protocol::sm::SignedOrder;
use crate::types::{Algorithm, COMMANDER, GeneralId, Round, Value};
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

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
    expecting = "a number, a list of numbers, or a selector in quotes (see the script docs)"
)]
enum RawSet {
    One(u32),
    Many(Vec<u32>),
    Named(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    from: Option<Spanned<RawSet>>,
    to: Option<Spanned<RawSet>>,
    round: Option<Spanned<RawSet>>,
    path: Option<Spanned<Vec<u32>>>,
    send: Spanned<String>,
}

/// Which generals a rule's `from` or `to` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ids {
    /// These ids.
    List(Vec<u32>),
    /// Every general.
    All,
    /// Even ids.
    Even,
    /// Odd ids.
    Odd,
    /// Loyal generals.
    Loyal,
    /// Traitors.
    Traitors,
    /// The first half of the loyal lieutenants in the coalition's split.
    GroupA,
    /// The rest of the loyal lieutenants.
    GroupB,
}

impl Ids {
    fn parse(raw: RawSet, field: &str) -> Result<Ids, String> {
        match raw {
            RawSet::One(x) => Ok(Ids::List(vec![x])),
            RawSet::Many(v) if v.is_empty() => Err(format!("{field} = [] names no general")),
            RawSet::Many(v) => Ok(Ids::List(v)),
            RawSet::Named(s) => match s.as_str() {
                "all" => Ok(Ids::All),
                "even" => Ok(Ids::Even),
                "odd" => Ok(Ids::Odd),
                "loyal" => Ok(Ids::Loyal),
                "traitors" => Ok(Ids::Traitors),
                "group-a" => Ok(Ids::GroupA),
                "group-b" => Ok(Ids::GroupB),
                other => Err(format!(
                    "{field} = \"{other}\" is not an id list or one of all, even, odd, loyal, traitors, group-a, group-b"
                )),
            },
        }
    }

    /// As written in the script: `9`, `[1, 3]`, `"even"`.
    fn text(&self) -> String {
        match self {
            Ids::List(v) if v.len() == 1 => v[0].to_string(),
            Ids::List(v) => format!("{v:?}"),
            Ids::All => "\"all\"".into(),
            Ids::Even => "\"even\"".into(),
            Ids::Odd => "\"odd\"".into(),
            Ids::Loyal => "\"loyal\"".into(),
            Ids::Traitors => "\"traitors\"".into(),
            Ids::GroupA => "\"group-a\"".into(),
            Ids::GroupB => "\"group-b\"".into(),
        }
    }

    /// Whether general `g` is named, in a run with this coalition.
    pub fn contains(&self, g: GeneralId, c: &Coalition) -> bool {
        match self {
            Ids::List(v) => v.contains(&u32::from(g)),
            Ids::All => true,
            Ids::Even => g.is_multiple_of(2),
            Ids::Odd => !g.is_multiple_of(2),
            Ids::Loyal => !c.is_traitor(g),
            Ids::Traitors => c.is_traitor(g),
            Ids::GroupA => c.in_group_a(g) == Some(true),
            Ids::GroupB => c.in_group_a(g) == Some(false),
        }
    }
}

/// Which rounds a rule names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rounds {
    /// These rounds.
    List(Vec<u32>),
    /// The last round, m + 1.
    Last,
    /// From a round on, inclusive at both ends (`u32::MAX`: no end).
    Range(u32, u32),
}

impl Rounds {
    fn parse(raw: RawSet) -> Result<Rounds, String> {
        let number = |t: &str| t.trim().parse::<u32>().ok();
        match raw {
            RawSet::One(x) => Ok(Rounds::List(vec![x])),
            RawSet::Many(v) if v.is_empty() => Err("round = [] names no round".into()),
            RawSet::Many(v) => Ok(Rounds::List(v)),
            RawSet::Named(s) if s == "last" => Ok(Rounds::Last),
            RawSet::Named(s) => {
                let range = if let Some((a, b)) = s.split_once("..=") {
                    number(a).zip(number(b))
                } else if let Some((a, b)) = s.split_once("..") {
                    match (number(a), b.trim()) {
                        (Some(a), "") => Some((a, u32::MAX)),
                        (Some(a), b) => b.parse::<u32>().ok().filter(|&b| b > a).map(|b| (a, b - 1)),
                        _ => None,
                    }
                } else {
                    None
                };
                match range {
                    Some((a, b)) if a <= b => Ok(Rounds::Range(a, b)),
                    _ => Err(format!(
                        "round = \"{s}\" is not a round list, \"last\", or a range such as \"2..\", \"2..=3\", \"2..4\""
                    )),
                }
            }
        }
    }

    /// As written in the script: `2`, `[2, 3]`, `"last"`, `"2..=3"`.
    fn text(&self) -> String {
        match self {
            Rounds::List(v) if v.len() == 1 => v[0].to_string(),
            Rounds::List(v) => format!("{v:?}"),
            Rounds::Last => "\"last\"".into(),
            Rounds::Range(a, u32::MAX) => format!("\"{a}..\""),
            Rounds::Range(a, b) => format!("\"{a}..={b}\""),
        }
    }

    /// Whether round `r` of a run whose last round is `last` is named.
    pub fn contains(&self, r: u32, last: Round) -> bool {
        match self {
            Rounds::List(v) => v.contains(&r),
            Rounds::Last => r == last,
            Rounds::Range(a, b) => (*a..=*b).contains(&r),
        }
    }
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
    pub from: Option<Ids>,
    /// Receivers (`None` = all).
    pub to: Option<Ids>,
    /// Rounds (`None` = all).
    pub round: Option<Rounds>,
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
    /// The rules with a `path`, by that path, ascending: a message's
    /// candidates among them are found at once, however many rules.
    by_path: std::collections::HashMap<Vec<u32>, Vec<usize>>,
}

impl Script {
    /// Parses a script; `source` names the file in errors.
    pub fn parse(text: &str, source: &str) -> Result<Script, StrategyError> {
        let raw: RawScript = toml::from_str(text).map_err(|e| StrategyError::Parse {
            path: source.to_string(),
            message: crate::files::plain_parse_error(&e.to_string()),
        })?;
        let invalid = |message: String| StrategyError::Invalid {
            path: source.to_string(),
            message,
        };
        let mut rules = Vec::with_capacity(raw.rule.len());
        for (i, r) in raw.rule.into_iter().enumerate() {
            // Errors name the line and the field: `FILE: line 7: rule 2, field `send`: ...`.
            let at = |span: std::ops::Range<usize>, field: &str, m: String| {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                invalid(format!("line {line}: rule {}, field `{field}`: {m}", i + 1))
            };
            let send = r.send.get_ref().to_ascii_lowercase();
            let action = match send.as_str() {
                "attack" => Action::Send(Value::Attack),
                "retreat" => Action::Send(Value::Retreat),
                "flip" => Action::Flip,
                "silent" => Action::Silent,
                "honest" => Action::Honest,
                other => {
                    return Err(at(
                        r.send.span(),
                        "send",
                        format!("\"{other}\" is not one of attack, retreat, flip, silent, honest"),
                    ));
                }
            };
            let ids = |x: Option<Spanned<RawSet>>,
                       field: &str|
             -> Result<Option<(Ids, std::ops::Range<usize>)>, StrategyError> {
                x.map(|x| {
                    let span = x.span();
                    Ids::parse(x.into_inner(), field)
                        .map(|ids| (ids, span.clone()))
                        .map_err(|m| at(span, field, m))
                })
                .transpose()
            };
            let from = ids(r.from, "from")?;
            let to = ids(r.to, "to")?;
            let round = match r.round {
                Some(x) => {
                    let span = x.span();
                    Some(Rounds::parse(x.into_inner()).map_err(|m| at(span, "round", m))?)
                }
                None => None,
            };
            if let Some((Ids::List(list), span)) = &to
                && list.iter().all(|&g| g == u32::from(COMMANDER))
            {
                return Err(at(
                    span.clone(),
                    "to",
                    "0 never fires: the commander receives nothing".into(),
                ));
            }
            let path = match r.path {
                Some(p) => {
                    let span = p.span();
                    let p = p.into_inner();
                    if p.first() != Some(&0) {
                        return Err(at(span, "path", "a path starts with the commander, 0".into()));
                    }
                    let last = p.last().copied().unwrap_or(0);
                    if let Some((Ids::List(list), _)) = &from
                        && !list.contains(&last)
                    {
                        return Err(at(
                            span,
                            "path",
                            format!(
                                "{p:?} ends at {last}, its sender, which is not among from = {list:?}: the rule never fires"
                            ),
                        ));
                    }
                    Some(p)
                }
                None => None,
            };
            rules.push(Rule {
                from: from.map(|(x, _)| x),
                to: to.map(|(x, _)| x),
                round,
                path,
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
        let mut by_path: std::collections::HashMap<Vec<u32>, Vec<usize>> = std::collections::HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            if let Some(p) = &r.path {
                by_path.entry(p.clone()).or_default().push(i);
            }
        }
        Ok(Script {
            name: raw.name.unwrap_or(stem),
            description: raw.description.unwrap_or_default(),
            rules,
            by_path,
        })
    }

    /// Why rule `i` cannot fire in a run of `algorithm` among `n`
    /// generals with m rounds of relaying and these traitors, or `None` if
    /// it can (it names a traitor sender, a receiver and a round of the run,
    /// and its path, if any, is a relay path of it).
    fn dead(&self, i: usize, algorithm: Algorithm, n: usize, m: usize, c: &Coalition) -> Option<String> {
        let r = &self.rules[i];
        let from = |g: GeneralId| r.from.as_ref().is_none_or(|f| f.contains(g, c));
        if !c.traitors.iter().any(|&t| from(t)) {
            let named = r.from.as_ref().map_or("\"all\"".into(), Ids::text);
            return Some(format!(
                "from = {named} names no traitor of the run (traitors {:?})",
                c.traitors
            ));
        }
        let receives = |g: GeneralId| g != COMMANDER && r.to.as_ref().is_none_or(|t| t.contains(g, c));
        if !(0..n as GeneralId).any(receives) {
            let named = r.to.as_ref().map_or("\"all\"".into(), Ids::text);
            return Some(format!("to = {named} names no lieutenant of the run (n = {n})"));
        }
        let last = algorithm.rounds(n, m);
        if !(1..=last).any(|x| r.round.as_ref().is_none_or(|w| w.contains(x, last))) {
            let named = r.round.as_ref().map_or("\"all\"".into(), Rounds::text);
            return Some(format!("round = {named} names no round of the run (1..={last})"));
        }
        if let Some(p) = &r.path {
            if !algorithm.paths() {
                return Some(format!(
                    "a path rule never fires under {} (its values are not relay paths)",
                    algorithm.label("m")
                ));
            }
            let distinct = p.iter().enumerate().all(|(k, x)| !p[..k].contains(x));
            let sender = p.last().and_then(|&g| GeneralId::try_from(g).ok());
            if p.len() > m + 1
                || !distinct
                || p.iter().any(|&g| g as usize >= n)
                || !sender.is_some_and(|s| c.is_traitor(s) && from(s))
            {
                return Some(format!(
                    "path {p:?} is no relay path of a traitor in OM({m}) with n = {n}"
                ));
            }
            // A path of k generals is sent in round k.
            if let Some(w) = &r.round
                && !w.contains(p.len() as u32, last)
            {
                return Some(format!(
                    "path {p:?} is sent in round {}, which round = {} excludes",
                    p.len(),
                    w.text()
                ));
            }
        }
        None
    }

    /// The rules that can never fire in this run, one warning each
    /// (`byzlab run`: a script written for several runs, a traitor
    /// commander's rules beside a lieutenant's, may have rules another run
    /// needs); an error if none of them can (the run would be honest).
    pub fn check_run(
        &self,
        algorithm: Algorithm,
        n: usize,
        m: usize,
        c: &Coalition,
        source: &str,
    ) -> Result<Vec<String>, StrategyError> {
        let dead: Vec<String> = (0..self.rules.len())
            .filter_map(|i| {
                self.dead(i, algorithm, n, m, c)
                    .map(|why| format!("rule {} never fires in this run: {why}", i + 1))
            })
            .collect();
        if !dead.is_empty() && dead.len() == self.rules.len() {
            return Err(StrategyError::Invalid {
                path: source.to_string(),
                message: format!(
                    "no rule fires in this run, so every traitor would be honest ({})",
                    dead[0]
                ),
            });
        }
        Ok(dead
            .into_iter()
            .map(|w| format!("strategy file {source}: {w}"))
            .collect())
    }

    /// Fails if a rule fires in none of `runs` (algorithm, n, m, coalition):
    /// the check of an experiment, over every run of its plan, before the
    /// first. `what` describes the runs in the message.
    pub fn check_plan<'a>(
        &self,
        runs: impl Iterator<Item = (Algorithm, usize, usize, &'a Coalition)> + Clone,
        source: &str,
        what: &str,
    ) -> Result<(), StrategyError> {
        for i in 0..self.rules.len() {
            let mut last = None;
            let live = runs.clone().any(|(a, n, m, c)| {
                last = self.dead(i, a, n, m, c);
                last.is_none()
            });
            if !live {
                return Err(StrategyError::Invalid {
                    path: source.to_string(),
                    message: format!(
                        "rule {} fires in no run of {what}{}",
                        i + 1,
                        last.map_or(String::new(), |w| format!(" (in the last: {w})"))
                    ),
                });
            }
        }
        Ok(())
    }

    /// Whether rule `r` applies to the message of `ctx.me` to `to` with
    /// this OM path (`None` under SM).
    fn matches(r: &Rule, ctx: &TraitorCtx<'_>, to: GeneralId, path: Option<&[GeneralId]>) -> bool {
        let c = ctx.coalition;
        let path_ok = match (&r.path, path) {
            (None, _) => true,
            (Some(want), Some(got)) => {
                want.len() == got.len() && want.iter().zip(got).all(|(a, b)| *a == u32::from(*b))
            }
            (Some(_), None) => false,
        };
        path_ok
            && r.from.as_ref().is_none_or(|f| f.contains(ctx.me, c))
            && r.to.as_ref().is_none_or(|t| t.contains(to, c))
            && r.round
                .as_ref()
                .is_none_or(|w| w.contains(ctx.round, ctx.algorithm.rounds(ctx.n, ctx.m)))
    }

    /// The first rule that applies, by scanning them all: the reference
    /// [`Scripted`]'s index is tested against.
    #[cfg(test)]
    fn find(&self, ctx: &TraitorCtx<'_>, to: GeneralId, path: Option<&[GeneralId]>) -> Action {
        self.rules
            .iter()
            .find(|r| Script::matches(r, ctx, to, path))
            .map_or(Action::Honest, |r| r.action)
    }
}

/// The strategy that follows a [`Script`].
pub struct Scripted {
    script: Arc<Script>,
    /// The first rule without a path that applies to (sender, receiver,
    /// round), found once per run: a traitor sends up to millions of
    /// messages, a script may have tens of thousands of rules.
    plain: std::collections::HashMap<(GeneralId, GeneralId, Round), Option<usize>>,
}

impl Scripted {
    /// A traitor following `script`.
    pub fn new(script: Arc<Script>) -> Scripted {
        Scripted {
            script,
            plain: std::collections::HashMap::new(),
        }
    }

    /// The action of the first rule that applies (as [`Script`]'s rules
    /// read, first match wins), through the index.
    fn find(&mut self, ctx: &TraitorCtx<'_>, to: GeneralId, path: Option<&[GeneralId]>) -> Action {
        let s = &*self.script;
        let plain = *self.plain.entry((ctx.me, to, ctx.round)).or_insert_with(|| {
            s.rules
                .iter()
                .position(|r| r.path.is_none() && Script::matches(r, ctx, to, None))
        });
        let pathed = match path {
            Some(p) if !s.by_path.is_empty() => {
                let key: Vec<u32> = p.iter().map(|&g| u32::from(g)).collect();
                s.by_path.get(&key).and_then(|ids| {
                    ids.iter()
                        .copied()
                        .take_while(|&i| plain.is_none_or(|j| i < j))
                        .find(|&i| Script::matches(&s.rules[i], ctx, to, path))
                })
            }
            _ => None,
        };
        pathed.or(plain).map_or(Action::Honest, |i| s.rules[i].action)
    }
}

impl Strategy for Scripted {
    fn value(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, path: &[GeneralId], honest: Value) -> Option<Value> {
        match self.find(ctx, to, Some(path)) {
            Action::Send(v) => Some(v),
            Action::Flip => Some(honest.flip()),
            Action::Silent => None,
            Action::Honest => Some(honest),
        }
    }

    fn orders(&mut self, ctx: &mut TraitorCtx<'_>, to: GeneralId, orders: &mut Vec<SignedOrder>) {
        let action = self.find(ctx, to, None);
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
    use crate::rng::{Purpose, stream};

    /// The action for a message of `me` to `to` in `round`, in a run of n
    /// generals, m rounds, these traitors.
    fn act(
        s: &Script,
        (n, m, traitors): (usize, usize, &[GeneralId]),
        me: GeneralId,
        to: GeneralId,
        round: Round,
        path: Option<&[GeneralId]>,
    ) -> Action {
        let c = Coalition::new(n, traitors, Value::Attack);
        let mut rng = stream(0, Purpose::Traitor, 0);
        let mut sigs = 0;
        let ctx = TraitorCtx::new(me, n, m, round, crate::algorithm::OM, &mut rng, &c, None, &mut sigs);
        s.find(&ctx, to, path)
    }

    /// The index (first path-free rule per sender, receiver and round; path
    /// rules by their path) picks the rule the linear scan picks, on random
    /// scripts mixing every kind of rule, for every message of OM(2) n = 6.
    #[test]
    fn the_index_picks_the_rule_the_scan_picks() {
        use rand::RngExt;
        let mut rng = stream(7, Purpose::Traitor, 1);
        let (n, m, traitors): (usize, usize, &[GeneralId]) = (6, 2, &[0, 2, 4]);
        let c = Coalition::new(n, traitors, Value::Attack);
        let mut differ = 0;
        for _ in 0..40 {
            let mut text = String::new();
            for _ in 0..rng.random_range(1..12) {
                text.push_str("[[rule]]\n");
                match rng.random_range(0..4) {
                    0 => text.push_str(&format!("to = {}\n", rng.random_range(1..n))),
                    1 => text.push_str(&format!("round = {}\n", rng.random_range(1..=m + 1))),
                    2 => {
                        let from = traitors[rng.random_range(0..traitors.len())];
                        text.push_str(&format!("from = {from}\n"));
                        if from != 0 && rng.random_bool(0.7) {
                            text.push_str(&format!("path = [0, {from}]\n"));
                        }
                    }
                    _ => text.push_str("to = \"group-b\"\n"),
                }
                let send = ["flip", "silent", "attack", "retreat", "honest"][rng.random_range(0..5)];
                text.push_str(&format!("send = \"{send}\"\n"));
            }
            let Ok(script) = Script::parse(&text, "random.toml") else {
                continue;
            };
            let script = Arc::new(script);
            for &me in traitors {
                let mut indexed = Scripted::new(script.clone());
                for round in 1..=(m + 1) as Round {
                    for to in 1..n as GeneralId {
                        let paths: Vec<Vec<GeneralId>> = vec![vec![0], vec![0, me], vec![0, 1, me], vec![0, 3]];
                        for path in paths.iter().map(|p| Some(p.as_slice())).chain([None]) {
                            let mut r = stream(0, Purpose::Traitor, 0);
                            let mut sigs = 0;
                            let ctx =
                                TraitorCtx::new(me, n, m, round, crate::algorithm::OM, &mut r, &c, None, &mut sigs);
                            let (want, got) = (script.find(&ctx, to, path), indexed.find(&ctx, to, path));
                            assert_eq!(want, got, "{text}\nme={me} to={to} round={round} path={path:?}");
                            differ += usize::from(want != Action::Honest);
                        }
                    }
                }
            }
        }
        assert!(differ > 100, "the scripts must act on messages: {differ}");
    }

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
        let run = (5, 1, &[2][..]);
        assert_eq!(act(&s, run, 2, 1, 2, Some(&[0, 2])), Action::Send(Value::Retreat));
        assert_eq!(act(&s, run, 2, 4, 2, Some(&[0, 2])), Action::Silent);
        assert_eq!(act(&s, run, 2, 4, 2, None), Action::Honest);
        assert_eq!(act(&s, (5, 1, &[3]), 3, 1, 2, Some(&[0, 3])), Action::Honest);
        let c = |t: &[GeneralId], n| Coalition::new(n, t, Value::Attack);
        assert!(s.check_run(crate::algorithm::OM, 5, 1, &c(&[2], 5), "lie.toml").is_ok());
        // Not an error to have general 3 missing: to = [1, 3] still names 1.
        assert!(s.check_run(crate::algorithm::OM, 3, 1, &c(&[2], 3), "lie.toml").is_ok());
        let dead = |alg, n, m, t: &[GeneralId]| s.check_run(alg, n, m, &c(t, n), "lie.toml").unwrap_err().to_string();
        assert!(
            dead(crate::algorithm::OM, 5, 0, &[2]).contains("rule 1 never fires in this run: round = 2 names no round")
        );
        assert!(dead(crate::algorithm::OM, 5, 1, &[3]).contains("from = 2 names no traitor of the run (traitors [3])"));
        // One rule dead, one alive: a warning, and the run goes on.
        let warned = s
            .check_run(crate::algorithm::SM, 5, 1, &c(&[2], 5), "lie.toml")
            .unwrap();
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(warned[0].contains("rule 2 never fires in this run") && warned[0].contains("never fires under SM"));
        // A path of two generals is sent in round 2, never in the last of OM(2).
        let last = Script::parse(
            "[[rule]]\npath = [0, 2]\nround = \"last\"\nsend = \"silent\"\n",
            "p.toml",
        )
        .unwrap();
        let e = last
            .check_run(crate::algorithm::OM, 5, 2, &c(&[2], 5), "p.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("path [0, 2] is sent in round 2, which round = \"last\" excludes"),
            "{e}"
        );
    }

    #[test]
    fn selectors_name_generals_and_rounds_of_each_run() {
        let s = Script::parse(
            r#"
            [[rule]]
            to = "even"
            round = "last"
            send = "attack"
            [[rule]]
            to = "group-b"
            round = "2.."
            send = "flip"
            [[rule]]
            from = "traitors"
            to = "odd"
            round = "1..=1"
            send = "silent"
            "#,
            "sel.toml",
        )
        .unwrap();
        // n = 7, m = 2, traitors 0 and 3: loyal lieutenants 1 2 4 5 6,
        // group a = 1 2 4, group b = 5 6.
        let run = (7, 2, &[0, 3][..]);
        assert_eq!(
            act(&s, run, 3, 2, 3, None),
            Action::Send(Value::Attack),
            "even, last round"
        );
        assert_eq!(
            act(&s, run, 3, 5, 3, None),
            Action::Flip,
            "5 is in group b, round 3 >= 2"
        );
        assert_eq!(act(&s, run, 3, 1, 3, None), Action::Honest, "1 is in group a");
        assert_eq!(act(&s, run, 3, 5, 2, None), Action::Flip);
        assert_eq!(act(&s, run, 0, 1, 1, None), Action::Silent, "odd, round 1");
        assert_eq!(act(&s, run, 0, 2, 1, None), Action::Honest);
        // The same script at n = 9: group b is 6 7 8.
        assert_eq!(act(&s, (9, 2, &[0, 3]), 3, 7, 2, None), Action::Flip);
    }

    #[test]
    fn a_rule_that_fires_in_no_run_of_a_plan_is_an_error() {
        let s = Script::parse("[[rule]]\nto = [8]\nsend = \"flip\"", "to8.toml").unwrap();
        let cs: Vec<(usize, Coalition)> = (4..=9).map(|n| (n, Coalition::new(n, &[1], Value::Attack))).collect();
        let runs = |upto: usize| {
            cs.iter()
                .filter(move |(n, _)| *n <= upto)
                .map(|(n, c)| (crate::algorithm::OM, *n, 1, c))
        };
        assert!(
            s.check_plan(runs(9), "to8.toml", "the plan").is_ok(),
            "n = 9 has general 8"
        );
        let e = s.check_plan(runs(8), "to8.toml", "the plan").unwrap_err().to_string();
        assert!(e.contains("rule 1 fires in no run of the plan"), "{e}");
    }

    #[test]
    fn bad_scripts_get_clear_errors() {
        let cases = [
            (
                "[[rule]]\nsend = \"maybe\"",
                "line 2: rule 1, field `send`: \"maybe\" is not one of",
            ),
            ("[[rule]]\nsend = \"attack\"\nspeed = 3", "unknown field"),
            ("[[rule]]\npath = [1]\nsend = \"attack\"", "starts with the commander"),
            ("name = \"x\"", "no [[rule]]"),
            ("[[rule]\nsend = 1", "line"),
            ("name = \"a\\nb\"\n[[rule]]\nsend = \"flip\"", "no line break"),
            ("name = \"\"\n[[rule]]\nsend = \"flip\"", "1 to 64 characters"),
            ("[[rule]]\nto = 0\nsend = \"flip\"", "field `to`: 0 never fires"),
            ("[[rule]]\nto = []\nsend = \"flip\"", "to = [] names no general"),
            ("[[rule]]\nround = []\nsend = \"flip\"", "round = [] names no round"),
            (
                "[[rule]]\nfrom = 2\npath = [0, 3]\nsend = \"flip\"",
                "ends at 3, its sender",
            ),
            ("[[rule]]\nto = \"evens\"\nsend = \"flip\"", "one of all, even, odd"),
            ("[[rule]]\nround = \"3..2\"\nsend = \"flip\"", "a range such as"),
        ];
        for (text, want) in cases {
            let err = Script::parse(text, "bad.toml").unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
            assert!(err.contains("bad.toml"), "{err}");
        }
    }
}
