//! The network both runtimes share: it passes every frame through the run's
//! link model, counts what the link did, records the trace, and hands what
//! generals took from frames to the run's audit (an observer: nothing a
//! general does depends on it). The actix runtime wraps it in an actor; the
//! direct runner calls it in place.

use super::audit::Audit;
use super::node::OutFrame;
use crate::link::{Carried, Link, LinkAction, LinkError};
use crate::protocol::Taken;
use crate::run::RunPlan;
use crate::types::{Counters, Envelope, GeneralId, Original, Round, Value};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One line of a run's message trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// The round the frame travelled in.
    pub round: Round,
    /// Who really sent it (whatever the link claims).
    pub from: GeneralId,
    /// Who it was for.
    pub to: GeneralId,
    /// OM path or SM chain signers (empty for a replayed frame).
    pub path: Vec<GeneralId>,
    /// The value (none for a replayed frame).
    pub value: Option<Value>,
    /// What the link did.
    pub link: LinkAction,
    /// For a spoofed or replayed frame: the sender it claims.
    pub claimed: Option<GeneralId>,
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "-".to_string()
        } else {
            self.path.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(":")
        };
        let value = self.value.map_or("-", Value::as_str);
        write!(
            f,
            "round={} from={} to={} path={} value={} link={}",
            self.round,
            self.from,
            self.to,
            path,
            value,
            self.link.as_str()
        )?;
        if let Some(c) = self.claimed {
            write!(f, " claimed={c}")?;
        }
        Ok(())
    }
}

/// Frames in, link model applied, frames out.
pub(crate) struct Network {
    link: Box<dyn Link>,
    audit: Box<dyn Audit>,
    trace: Option<Vec<TraceEntry>>,
    counters: Counters,
    scratch: Vec<Carried>,
}

impl Network {
    /// The network of a plan, with the run's audit beside it.
    pub(crate) fn new(plan: &RunPlan, audit: Box<dyn Audit>) -> Result<Network, LinkError> {
        Ok(Network {
            link: plan.link.build(plan.seed, plan.n)?,
            audit,
            trace: plan.trace.then(Vec::new),
            counters: Counters::default(),
            scratch: Vec::new(),
        })
    }

    /// Carries `from`'s frames of `round`, calling `deliver` for every frame
    /// that arrives, in order.
    pub(crate) fn carry(
        &mut self,
        round: Round,
        from: GeneralId,
        frames: Vec<OutFrame>,
        mut deliver: impl FnMut(Envelope),
    ) {
        let can_alter = self.link.can_alter();
        for out in frames {
            let env = Envelope {
                round,
                from,
                to: out.to,
                bytes: out.bytes,
                original: None,
            };
            // Kept only while the link runs, to record what an altered frame was.
            let sent = can_alter.then(|| env.bytes.clone());
            self.link.carry(from, env, &mut self.scratch);
            for Carried { mut env, action } in self.scratch.drain(..) {
                if matches!(action, LinkAction::Tampered | LinkAction::Spoofed) {
                    env.original = Some(Box::new(Original {
                        from,
                        bytes: sent.clone().unwrap_or_default(),
                    }));
                }
                match action {
                    LinkAction::Delivered => {}
                    LinkAction::Dropped => self.counters.link_dropped += 1,
                    LinkAction::Tampered | LinkAction::Spoofed => self.counters.link_tampered += 1,
                    LinkAction::Replayed => self.counters.link_injected += 1,
                }
                if let Some(trace) = &mut self.trace {
                    let claimed = (env.from != from || action == LinkAction::Replayed).then_some(env.from);
                    if action == LinkAction::Replayed {
                        trace.push(TraceEntry {
                            round,
                            from: env.from,
                            to: env.to,
                            path: Vec::new(),
                            value: None,
                            link: action,
                            claimed,
                        });
                    } else {
                        for m in &out.trace {
                            trace.push(TraceEntry {
                                round,
                                from,
                                to: env.to,
                                path: m.path.clone(),
                                value: Some(m.value),
                                link: action,
                                claimed,
                            });
                        }
                    }
                }
                if action != LinkAction::Dropped {
                    deliver(env);
                }
            }
        }
    }

    /// A general took `taken` from the frame `env`: the audit's turn.
    pub(crate) fn audit(&mut self, env: &Envelope, taken: &Taken) {
        self.audit.audit(env, taken);
    }

    /// Counters (the link's and the audit's) and trace at the end of the run.
    pub(crate) fn finish(self) -> (Counters, Vec<TraceEntry>) {
        let mut counters = self.counters;
        counters.add(&self.audit.counters());
        (counters, self.trace.unwrap_or_default())
    }
}
