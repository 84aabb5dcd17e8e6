//! Generals as actix actors. This file family is the only one that imports
//! actix; it is a thin adapter around the generic node and the network.
//!
//! One `System` per run (or per worker thread, through [`ActixRunner`]), all
//! actors on its single arbiter. A driver task runs the synchronous rounds:
//! for each sender in id order it asks the general actor for its frames
//! (`Emit`) and hands them to the network actor (`Carry`), which applies the
//! link model and `do_send`s one `Deliver` per receiver. A general that took
//! something the audit must see tells the network actor (`Audited`). The end of a round is
//! the driver moving on, which is how absence is detected (A3). Because every
//! `Deliver` is queued before the driver's next request to that general and
//! mailboxes are FIFO, each general sees exactly the order the direct runner
//! produces, whatever tokio schedules in between; no clock is involved.
//! Frames travel in batches: one actor message per sender, receiver and round.

use super::network::{Network, TraceEntry};
use super::node::{General, OutFrame};
use super::{GeneralReport, RunReport, RuntimeError, algorithms, assemble};
use crate::protocol::Taken;
use crate::run::RunPlan;
use crate::types::{Counters, Envelope, GeneralId, Round};
use actix::prelude::*;

/// A general.
struct GeneralActor {
    node: Box<dyn General>,
    network: Addr<NetworkActor>,
}

impl Actor for GeneralActor {
    type Context = Context<Self>;
}

/// Asks a general for its frames of a round.
struct Emit(Round);
impl Message for Emit {
    type Result = Vec<OutFrame>;
}

/// One frame for a general (one per sender, receiver and round).
struct Deliver {
    env: Envelope,
}
impl Message for Deliver {
    type Result = ();
}

/// Asks a general for its end state.
struct Report;
impl Message for Report {
    type Result = GeneralReport;
}

impl Handler<Emit> for GeneralActor {
    type Result = MessageResult<Emit>;
    fn handle(&mut self, msg: Emit, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.node.on_round(msg.0))
    }
}

impl Handler<Deliver> for GeneralActor {
    type Result = ();
    fn handle(&mut self, msg: Deliver, _: &mut Context<Self>) {
        if let Some(taken) = self.node.accept(&msg.env) {
            self.network.do_send(Audited { env: msg.env, taken });
        }
    }
}

impl Handler<Report> for GeneralActor {
    type Result = MessageResult<Report>;
    fn handle(&mut self, _: Report, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.node.report())
    }
}

/// The network between the generals.
struct NetworkActor {
    net: Option<Network>,
    generals: Vec<Addr<GeneralActor>>,
}

/// The generals the network connects (sent once, before the first round).
struct Connect(Vec<Addr<GeneralActor>>);
impl Message for Connect {
    type Result = ();
}

/// A general took `taken` from `env`: for the audit.
struct Audited {
    env: Envelope,
    taken: Taken,
}
impl Message for Audited {
    type Result = ();
}

impl Handler<Connect> for NetworkActor {
    type Result = ();
    fn handle(&mut self, msg: Connect, _: &mut Context<Self>) {
        self.generals = msg.0;
    }
}

impl Handler<Audited> for NetworkActor {
    type Result = ();
    fn handle(&mut self, msg: Audited, _: &mut Context<Self>) {
        if let Some(net) = &mut self.net {
            net.audit(&msg.env, &msg.taken);
        }
    }
}

impl Actor for NetworkActor {
    type Context = Context<Self>;
}

/// A sender's frames of a round.
struct Carry {
    round: Round,
    from: GeneralId,
    frames: Vec<OutFrame>,
}
impl Message for Carry {
    type Result = ();
}

/// Ends the run: the network's counters and trace.
struct Finish;
impl Message for Finish {
    type Result = Option<(Counters, Vec<TraceEntry>)>;
}

impl Handler<Carry> for NetworkActor {
    type Result = ();
    fn handle(&mut self, msg: Carry, _: &mut Context<Self>) {
        let Some(net) = &mut self.net else { return };
        let generals = &self.generals;
        net.carry(msg.round, msg.from, msg.frames, |env| {
            if let Some(g) = generals.get(usize::from(env.to)) {
                g.do_send(Deliver { env });
            }
        });
    }
}

impl Handler<Finish> for NetworkActor {
    type Result = MessageResult<Finish>;
    fn handle(&mut self, _: Finish, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.net.take().map(Network::finish))
    }
}

fn mailbox(e: MailboxError) -> RuntimeError {
    RuntimeError::Actix(e.to_string())
}

async fn drive(plan: &RunPlan) -> Result<RunReport, RuntimeError> {
    let (nodes, audit) = algorithms::build(plan);
    let network = NetworkActor {
        net: Some(Network::new(plan, audit)?),
        generals: Vec::new(),
    }
    .start();
    let generals: Vec<Addr<GeneralActor>> = nodes
        .into_iter()
        .map(|node| {
            let network = network.clone();
            GeneralActor { node, network }.start()
        })
        .collect();
    network.send(Connect(generals.clone())).await.map_err(mailbox)?;
    for round in 1..=plan.m as Round + 1 {
        for (s, g) in generals.iter().enumerate() {
            let frames = g.send(Emit(round)).await.map_err(mailbox)?;
            network
                .send(Carry {
                    round,
                    from: s as GeneralId,
                    frames,
                })
                .await
                .map_err(mailbox)?;
        }
    }
    let mut reports = Vec::with_capacity(generals.len());
    for g in &generals {
        reports.push(g.send(Report).await.map_err(mailbox)?);
    }
    let (counters, trace) = network
        .send(Finish)
        .await
        .map_err(mailbox)?
        .ok_or_else(|| RuntimeError::Actix("network finished twice".into()))?;
    Ok(assemble(plan, reports, counters, trace))
}

/// Runs plans on one actix `System`, reused across runs (one per worker
/// thread in a sweep).
pub struct ActixRunner {
    system: SystemRunner,
}

impl Default for ActixRunner {
    fn default() -> Self {
        ActixRunner::new()
    }
}

impl ActixRunner {
    /// A fresh system on this thread.
    pub fn new() -> ActixRunner {
        ActixRunner { system: System::new() }
    }

    /// Runs one plan to completion; its actors stop when the run ends.
    pub fn run(&self, plan: &RunPlan) -> Result<RunReport, RuntimeError> {
        self.system.block_on(drive(plan))
    }
}

/// Runs one plan in its own actix `System`.
pub fn run(plan: &RunPlan) -> Result<RunReport, RuntimeError> {
    ActixRunner::new().run(plan)
}
