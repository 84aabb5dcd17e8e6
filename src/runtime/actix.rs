//! Processes as actix actors in virtual time. This file family is the only
//! one that imports actix; it is a thin adapter around the processes and the
//! network.
//!
//! One `System` per run (or per worker thread, through [`ActixRunner`]), all
//! actors on its single arbiter. Each general is an actor that runs on its
//! own: when it starts it sets its first timer, and whenever an event reaches
//! it (a timer of its own firing, a frame arriving) it reacts and sends what
//! it wants to send, and the timers it wants set, to the network actor
//! (`Done`). Nobody asks a general for its frames.
//!
//! The network actor keeps the run's only clock, an event queue in virtual
//! time. It hands each general the events of the current instant (`Happen`)
//! and moves the clock on only when every general it woke has answered; it
//! applies the answers general by general in id order, whatever order tokio
//! delivered them in, so a run gives exactly the direct runner's events,
//! outcome and trace.

use super::clock::Event;
use super::network::{Network, TraceEntry};
use super::process::{Effects, Process};
use super::{RunReport, RuntimeError};
use crate::run::RunPlan;
use crate::timing::Millis;
use crate::types::{Counters, GeneralId};
use actix::prelude::*;
use std::collections::BTreeMap;
use tokio::sync::oneshot;

/// A process as an actor.
struct ProcActor<P: Process + 'static> {
    id: GeneralId,
    proc: P,
    network: Addr<NetworkActor<P>>,
}

impl<P: Process + Unpin + 'static> Actor for ProcActor<P> {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        #[cfg(test)]
        tests::LIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut fx = Effects::default();
        self.proc.start(&mut fx);
        self.network.do_send(Done { id: self.id, fx });
    }
}

/// Counts actors freed (not merely stopped), for the leak test.
#[cfg(test)]
impl<P: Process + 'static> Drop for ProcActor<P> {
    fn drop(&mut self) {
        tests::LIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
impl<P: Process + 'static> Drop for NetworkActor<P> {
    fn drop(&mut self) {
        tests::LIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The events of one instant for one process.
struct Happen {
    now: Millis,
    events: Vec<Event>,
}
impl Message for Happen {
    type Result = ();
}

/// Asks a process for its final state.
struct Report<R>(std::marker::PhantomData<R>);
impl<R: Send + 'static> Message for Report<R> {
    type Result = R;
}

impl<P: Process + Unpin + 'static> Handler<Happen> for ProcActor<P> {
    type Result = ();
    fn handle(&mut self, msg: Happen, _: &mut Context<Self>) {
        let mut fx = Effects::default();
        for event in msg.events {
            self.proc.on_event(msg.now, event, &mut fx);
        }
        self.network.do_send(Done { id: self.id, fx });
    }
}

impl<P: Process + Unpin + 'static> Handler<Report<P::Report>> for ProcActor<P> {
    type Result = MessageResult<Report<P::Report>>;
    /// The last message a process gets: it answers, then stops (the
    /// network's address it holds would otherwise keep both alive).
    fn handle(&mut self, _: Report<P::Report>, ctx: &mut Context<Self>) -> Self::Result {
        ctx.stop();
        MessageResult(self.proc.report())
    }
}

/// The network and the clock.
struct NetworkActor<P: Process + 'static> {
    net: Option<Network>,
    procs: Vec<Addr<ProcActor<P>>>,
    now: Millis,
    /// Processes woken at `now` that have not answered yet.
    waiting: usize,
    answers: BTreeMap<GeneralId, Vec<Effects>>,
    finished: Option<oneshot::Sender<()>>,
}

/// What a process did: its sends, timers and audits.
struct Done {
    id: GeneralId,
    fx: Effects,
}
impl Message for Done {
    type Result = ();
}

/// Ends the run: the network's counters and trace.
struct Finish;
impl Message for Finish {
    type Result = Option<(Counters, Vec<TraceEntry>)>;
}

impl<P: Process + Unpin + 'static> Actor for NetworkActor<P> {
    type Context = Context<Self>;

    #[cfg(test)]
    fn started(&mut self, _: &mut Context<Self>) {
        tests::LIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl<P: Process + Unpin + 'static> NetworkActor<P> {
    /// Applies the answers of the instant, then wakes the processes of the
    /// next instant that has any; at the end, says the run is over.
    fn advance(&mut self) {
        let Some(net) = &mut self.net else { return };
        for (id, fxs) in std::mem::take(&mut self.answers) {
            for fx in fxs {
                net.apply(self.now, id, fx);
            }
        }
        while let Some((now, mut events)) = net.next_instant() {
            self.now = now;
            let mut batches: BTreeMap<GeneralId, Vec<Event>> = BTreeMap::new();
            for (to, event) in events.drain(..) {
                if usize::from(to) < self.procs.len() {
                    batches.entry(to).or_default().push(event);
                }
            }
            net.recycle(events);
            for (to, events) in batches {
                self.waiting += 1;
                self.procs[usize::from(to)].do_send(Happen { now, events });
            }
            if self.waiting > 0 {
                return;
            }
        }
        if let Some(tx) = self.finished.take() {
            let _ = tx.send(());
        }
    }
}

impl<P: Process + Unpin + 'static> Handler<Done> for NetworkActor<P> {
    type Result = ();
    fn handle(&mut self, msg: Done, _: &mut Context<Self>) {
        self.answers.entry(msg.id).or_default().push(msg.fx);
        self.waiting = self.waiting.saturating_sub(1);
        if self.waiting == 0 {
            self.advance();
        }
    }
}

impl<P: Process + Unpin + 'static> Handler<Finish> for NetworkActor<P> {
    type Result = MessageResult<Finish>;
    /// The network's last message: it hands over its counters and trace,
    /// drops the processes' addresses and stops, so that nothing of the
    /// run stays on a reused system.
    fn handle(&mut self, _: Finish, ctx: &mut Context<Self>) -> Self::Result {
        self.procs.clear();
        ctx.stop();
        MessageResult(self.net.take().map(Network::finish))
    }
}

fn mailbox(e: MailboxError) -> RuntimeError {
    RuntimeError::Actix(e.to_string())
}

/// What a run leaves: every process's report, the network's counters, the trace.
pub(crate) type Finished<P> = (Vec<<P as Process>::Report>, Counters, Vec<TraceEntry>);

/// Runs `procs` over `net` as actors until nothing is left to happen; their
/// reports, the network's counters and the trace.
pub(crate) async fn drive<P: Process + Unpin + 'static>(
    procs: Vec<P>,
    net: Network,
) -> Result<Finished<P>, RuntimeError> {
    let (tx, rx) = oneshot::channel();
    let n = procs.len();
    if n == 0 {
        return Err(RuntimeError::Actix("a run needs processes".into()));
    }
    let mut addrs = Vec::with_capacity(n);
    let network = NetworkActor::create(|ctx| {
        let addr = ctx.address();
        let procs: Vec<Addr<ProcActor<P>>> = procs
            .into_iter()
            .enumerate()
            .map(|(id, proc)| {
                ProcActor {
                    id: id as GeneralId,
                    proc,
                    network: addr.clone(),
                }
                .start()
            })
            .collect();
        addrs.clone_from(&procs);
        NetworkActor {
            net: Some(net),
            procs,
            now: 0,
            // Every process answers once when it starts.
            waiting: n,
            answers: BTreeMap::new(),
            finished: Some(tx),
        }
    });
    rx.await
        .map_err(|_| RuntimeError::Actix("the network stopped".into()))?;
    let mut reports = Vec::with_capacity(n);
    for p in &addrs {
        reports.push(p.send(Report(std::marker::PhantomData)).await.map_err(mailbox)?);
    }
    let (counters, trace) = network
        .send(Finish)
        .await
        .map_err(mailbox)?
        .ok_or_else(|| RuntimeError::Actix("network finished twice".into()))?;
    Ok((reports, counters, trace))
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
        let (procs, net) = super::agreement(plan)?;
        let (reports, counters, trace) = self.system.block_on(drive(procs, net))?;
        Ok(super::assemble(plan, reports, counters, trace))
    }

    /// Runs any processes to completion on this system.
    pub(crate) fn drive<P: Process + Unpin + 'static>(
        &self,
        procs: Vec<P>,
        net: Network,
    ) -> Result<Finished<P>, RuntimeError> {
        self.system.block_on(drive(procs, net))
    }
}

/// Runs one plan in its own actix `System`.
pub(crate) fn run(plan: &RunPlan) -> Result<RunReport, RuntimeError> {
    ActixRunner::new().run(plan)
}

#[cfg(test)]
mod tests {
    use crate::run::{RunSpec, RuntimeKind};
    use crate::types::Algorithm;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Actors (processes and networks) started and not yet freed.
    pub(super) static LIVE: AtomicUsize = AtomicUsize::new(0);

    /// A reused system keeps nothing of finished runs: every process actor
    /// (and with it the network actor it addresses) stops when its run
    /// ends. They once kept each other alive through their addresses, and
    /// a long actix sweep grew by 50 KB a run until memory ran out.
    #[test]
    fn a_reused_system_keeps_no_actor_of_a_finished_run() {
        let mut spec = RunSpec::new(Algorithm::Om, 4, 1).unwrap();
        spec.runtime = RuntimeKind::Actix;
        let plan = spec.validate().unwrap();
        let runner = super::ActixRunner::new();
        for _ in 0..20 {
            runner.run(&plan).unwrap();
        }
        // The last run's actors may stop only when the system runs again.
        runner.system.block_on(async {});
        assert_eq!(LIVE.load(Ordering::SeqCst), 0);
    }
}
