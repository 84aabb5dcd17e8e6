//! Processes as actix actors in virtual time. This file family is the only
//! one that imports actix; it is a thin adapter around the processes and the
//! network.
//!
//! One `System` per run (or per worker thread, through [`ActixRunner`]), all
//! actors on its single arbiter. Each general is an actor that runs on its
//! own: its process is started as it is handed over (it sets its first
//! timer), and whenever an event reaches it (a timer of its own firing, a
//! frame arriving) it reacts and sends what it wants to send, and the
//! timers it wants set, to the network actor (`Done`). Nobody asks a
//! general for its frames.
//!
//! The network actor keeps the run's only clock, an event queue in virtual
//! time. It hands each general the events of the current instant (`Happen`)
//! and moves the clock on only when every general it woke has answered; it
//! applies the answers general by general in id order, whatever order tokio
//! delivered them in, so a run gives exactly the direct runner's events,
//! outcome and trace.
//!
//! An [`ActixRunner`] keeps its actors between runs: the network actor and
//! a pool of general actors (as many as the largest run so far needed).
//! Processes are not `Send`, so they do not travel in messages: each actor
//! shares a slot with the network (all actors are on one thread), where
//! the network leaves the run's process when the run begins (`Go`) and
//! takes it back for its report when the clock runs dry. A small run then
//! costs its instants' messages, not the setup of n + 1 actors; the event
//! vectors travel back and forth too, so an instant allocates nothing once
//! a run is under way.

use super::clock::Event;
use super::network::{Network, TraceEntry, TraceSink};
use super::process::{Effects, Process};
use super::{RunReport, RuntimeError};
use crate::run::RunPlan;
use crate::timing::Millis;
use crate::types::{Counters, GeneralId};
use actix::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use tokio::sync::oneshot;

/// Where a value that cannot travel in a message (processes are not
/// `Send`) is handed to an actor on the same thread; a message then says
/// it is there.
type Slot<T> = Rc<RefCell<Option<T>>>;

/// A general's actor: it runs the process of the run under way, which the
/// network leaves in its slot when the run begins and takes back (for its
/// report) when the run is over.
struct ProcActor<P: Process + 'static> {
    id: GeneralId,
    proc: Slot<P>,
    network: Addr<NetworkActor<P>>,
}

impl<P: Process + Unpin + 'static> Actor for ProcActor<P> {
    type Context = Context<Self>;

    #[cfg(test)]
    fn started(&mut self, _: &mut Context<Self>) {
        tests::live(1);
    }
}

/// Counts actors freed (not merely stopped), for the leak test.
#[cfg(test)]
impl<P: Process + 'static> Drop for ProcActor<P> {
    fn drop(&mut self) {
        tests::live(-1);
    }
}

#[cfg(test)]
impl<P: Process + 'static> Drop for NetworkActor<P> {
    fn drop(&mut self) {
        tests::live(-1);
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

impl<P: Process + Unpin + 'static> Handler<Happen> for ProcActor<P> {
    type Result = ();
    fn handle(&mut self, msg: Happen, _: &mut Context<Self>) {
        let mut fx = Effects::default();
        let mut events = msg.events;
        if let Some(proc) = self.proc.borrow_mut().as_mut() {
            for event in events.drain(..) {
                proc.on_event(msg.now, event, &mut fx);
            }
        }
        events.clear();
        self.network.do_send(Done {
            id: self.id,
            fx,
            spare: events,
        });
    }
}

/// What a process did: its sends, timers and audits, and the emptied vector
/// its events came in, for the next instant.
struct Done {
    id: GeneralId,
    fx: Effects,
    spare: Vec<Event>,
}
impl Message for Done {
    type Result = ();
}

/// What a run leaves: every process's report, the network's counters, the trace.
pub(crate) type Finished<P> = (
    Vec<<P as Process>::Report>,
    Counters,
    Vec<TraceEntry>,
    Vec<crate::link::layer::Series>,
);

/// A run for the network actor: its processes, its network, and where the
/// result goes.
struct Begin<P: Process> {
    procs: Vec<P>,
    net: Network,
    done: oneshot::Sender<Result<Finished<P>, RuntimeError>>,
}

/// A run is in the network actor's inbox: it starts it.
struct Go;
impl Message for Go {
    type Result = ();
}

/// Stops the network actor and every actor of its pool.
struct Stop;
impl Message for Stop {
    type Result = ();
}

/// The run under way.
struct Run<P: Process> {
    net: Network,
    n: usize,
    now: Millis,
    /// Processes woken at `now` that have not answered.
    waiting: usize,
    done: Option<oneshot::Sender<Result<Finished<P>, RuntimeError>>>,
}

/// The network and the clock, and the pool of general actors.
struct NetworkActor<P: Process + 'static> {
    /// General actors, and where each takes its next process from.
    pool: Vec<(Addr<ProcActor<P>>, Slot<P>)>,
    /// Each process's answers of the instant, by id (kept across runs).
    answers: Vec<Vec<Effects>>,
    /// Each process's event vector, filled for the next instant.
    batches: Vec<Vec<Event>>,
    run: Option<Run<P>>,
    inbox: Slot<Begin<P>>,
}

impl<P: Process + Unpin + 'static> Actor for NetworkActor<P> {
    type Context = Context<Self>;

    #[cfg(test)]
    fn started(&mut self, _: &mut Context<Self>) {
        tests::live(1);
    }
}

impl<P: Process + Unpin + 'static> NetworkActor<P> {
    /// Applies the answers of the instant, then wakes the processes of the
    /// next instant that has any; when nothing is left, takes the
    /// processes back and hands over the result.
    fn advance(&mut self) {
        let Some(run) = &mut self.run else { return };
        for (id, fxs) in self.answers[..run.n].iter_mut().enumerate() {
            for fx in fxs.drain(..) {
                run.net.apply(run.now, id as GeneralId, fx);
            }
        }
        while let Some((now, mut events)) = run.net.next_instant() {
            run.now = now;
            for (to, event) in events.drain(..) {
                if let Some(batch) = self.batches[..run.n].get_mut(usize::from(to)) {
                    batch.push(event);
                }
            }
            run.net.recycle(events);
            for (to, batch) in self.batches[..run.n].iter_mut().enumerate() {
                if !batch.is_empty() {
                    run.waiting += 1;
                    let events = std::mem::take(batch);
                    self.pool[to].0.do_send(Happen { now, events });
                }
            }
            if run.waiting > 0 {
                return;
            }
        }
        let Some(run) = self.run.take() else { return };
        let result = self.pool[..run.n]
            .iter()
            .map(|(_, slot)| slot.borrow_mut().take().map(|p| p.report()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| RuntimeError::Actix("a process was lost".into()))
            .map(|reports| {
                let (counters, trace, series) = run.net.finish();
                (reports, counters, trace, series)
            });
        if let Some(done) = run.done {
            let _ = done.send(result);
        }
    }
}

impl<P: Process + Unpin + 'static> Handler<Go> for NetworkActor<P> {
    type Result = ();
    fn handle(&mut self, _: Go, ctx: &mut Context<Self>) {
        let Some(msg) = self.inbox.borrow_mut().take() else {
            return;
        };
        let n = msg.procs.len();
        if self.run.is_some() || n == 0 {
            let why = if n == 0 {
                "a run needs processes"
            } else {
                "a run is under way"
            };
            let _ = msg.done.send(Err(RuntimeError::Actix(why.into())));
            return;
        }
        while self.pool.len() < n {
            let id = self.pool.len() as GeneralId;
            let slot: Slot<P> = Rc::default();
            let actor = ProcActor {
                id,
                proc: slot.clone(),
                network: ctx.address(),
            };
            self.pool.push((actor.start(), slot));
            self.answers.push(Vec::new());
            self.batches.push(Vec::new());
        }
        // Each process starts (sets its first timer) as it is handed over.
        for (((_, slot), answers), mut proc) in self.pool.iter().zip(&mut self.answers).zip(msg.procs) {
            let mut fx = Effects::default();
            proc.start(&mut fx);
            answers.push(fx);
            *slot.borrow_mut() = Some(proc);
        }
        self.run = Some(Run {
            net: msg.net,
            n,
            now: 0,
            waiting: 0,
            done: Some(msg.done),
        });
        self.advance();
    }
}

impl<P: Process + Unpin + 'static> Handler<Done> for NetworkActor<P> {
    type Result = ();
    fn handle(&mut self, msg: Done, _: &mut Context<Self>) {
        let Some(run) = &mut self.run else { return };
        let id = usize::from(msg.id);
        if let (Some(answers), Some(batch)) = (self.answers.get_mut(id), self.batches.get_mut(id)) {
            answers.push(msg.fx);
            if batch.capacity() == 0 {
                *batch = msg.spare;
            }
        }
        run.waiting = run.waiting.saturating_sub(1);
        if run.waiting == 0 {
            self.advance();
        }
    }
}

impl<P: Process + Unpin + 'static> Handler<Stop> for NetworkActor<P> {
    type Result = ();
    /// Stops the pool's actors (they address the network, and it them) and
    /// itself, so that nothing stays on the system.
    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        for (p, _) in self.pool.drain(..) {
            p.do_send(StopProc);
        }
        ctx.stop();
    }
}

/// Stops a general's actor.
struct StopProc;
impl Message for StopProc {
    type Result = ();
}

impl<P: Process + Unpin + 'static> Handler<StopProc> for ProcActor<P> {
    type Result = ();
    fn handle(&mut self, _: StopProc, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// Runs `procs` over `net` on the network actor `network` until nothing is
/// left to happen.
async fn drive<P: Process + Unpin + 'static>(
    network: &Pooled<P>,
    procs: Vec<P>,
    net: Network,
) -> Result<Finished<P>, RuntimeError> {
    let (done, rx) = oneshot::channel();
    *network.1.borrow_mut() = Some(Begin { procs, net, done });
    network.0.do_send(Go);
    rx.await
        .map_err(|_| RuntimeError::Actix("the network stopped".into()))?
}

/// A network actor and its inbox.
type Pooled<P> = (Addr<NetworkActor<P>>, Slot<Begin<P>>);

fn network<P: Process + Unpin + 'static>() -> Pooled<P> {
    let inbox: Slot<Begin<P>> = Rc::default();
    let addr = NetworkActor {
        pool: Vec::new(),
        answers: Vec::new(),
        batches: Vec::new(),
        run: None,
        inbox: inbox.clone(),
    }
    .start();
    (addr, inbox)
}

/// Runs plans on one actix `System`, reused across runs (one per worker
/// thread in a sweep), with its actors.
pub struct ActixRunner {
    system: SystemRunner,
    /// The network actor of agreement runs and its pool, made at the first run.
    agreement: RefCell<Option<Pooled<super::process::Agreement>>>,
}

impl Default for ActixRunner {
    fn default() -> Self {
        ActixRunner::new()
    }
}

impl Drop for ActixRunner {
    /// Stops the pooled actors, and lets the system run their stopping.
    fn drop(&mut self) {
        if let Some((net, _)) = self.agreement.get_mut().take() {
            net.do_send(Stop);
            self.system.block_on(tokio::task::yield_now());
        }
    }
}

impl ActixRunner {
    /// A fresh system on this thread.
    pub fn new() -> ActixRunner {
        ActixRunner {
            system: System::new(),
            agreement: RefCell::new(None),
        }
    }

    /// Runs one plan to completion on the runner's actors (its trace, if it
    /// asks for one, kept in the report, as [`super::execute`] keeps it).
    pub fn run(&self, plan: &RunPlan) -> Result<RunReport, RuntimeError> {
        self.run_with(plan, super::kept_trace(plan)?)
    }

    /// [`ActixRunner::run`] with the trace going to `sink`.
    pub fn run_with(&self, plan: &RunPlan, sink: Option<Box<dyn TraceSink>>) -> Result<RunReport, RuntimeError> {
        let (procs, net) = super::agreement(plan, sink)?;
        let network = self
            .agreement
            .borrow_mut()
            .get_or_insert_with(|| self.system.block_on(async { network() }))
            .clone();
        let (reports, counters, trace, series) = self.system.block_on(drive(&network, procs, net))?;
        Ok(super::assemble(plan, reports, counters, trace, series))
    }

    /// Runs any processes to completion on this system, on actors made for
    /// them and stopped after.
    pub(crate) fn drive<P: Process + Unpin + 'static>(
        &self,
        procs: Vec<P>,
        net: Network,
    ) -> Result<Finished<P>, RuntimeError> {
        self.system.block_on(async {
            let network = network::<P>();
            let result = drive(&network, procs, net).await;
            network.0.do_send(Stop);
            tokio::task::yield_now().await;
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::run::{RunSpec, RuntimeKind};
    use std::cell::Cell;

    thread_local! {
        /// Actors (processes and networks) started and not yet freed on
        /// this thread. A runner's system and its actors live on the thread
        /// that made it, so other tests starting actors on their own threads
        /// at the same time do not move this test's count.
        static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    /// Counts an actor started (+1) or freed (-1) on this thread.
    pub(super) fn live(change: isize) {
        LIVE.with(|l| l.set(l.get() + change));
    }

    /// A reused system keeps nothing of finished runs but its pool: one
    /// actor per general of the largest run so far and the network, the
    /// same after 20 runs as after one, and nothing once the runner is
    /// dropped. Actors once kept each other alive through their addresses,
    /// and a long actix sweep grew by 50 KB a run until memory ran out.
    #[test]
    fn a_reused_system_keeps_only_its_pool() {
        let plan = |n: usize| {
            let mut spec = RunSpec::new(crate::algorithm::OM, n, 1).unwrap();
            spec.runtime = RuntimeKind::Actix;
            spec.validate().unwrap()
        };
        let live = || LIVE.with(Cell::get);
        assert_eq!(live(), 0, "a fresh test thread");
        let runner = super::ActixRunner::new();
        let first = runner.run(&plan(4)).unwrap();
        assert_eq!(live(), 5);
        for _ in 0..20 {
            let again = runner.run(&plan(4)).unwrap();
            assert_eq!(again.outcome.decisions, first.outcome.decisions);
        }
        assert_eq!(live(), 5, "no actor more after 20 runs");
        runner.run(&plan(7)).unwrap();
        runner.run(&plan(4)).unwrap();
        assert_eq!(live(), 8, "the pool grew to the largest run");
        drop(runner);
        assert_eq!(live(), 0);
    }
}
