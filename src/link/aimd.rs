//! `aimd[:INIT[/SSTHRESH]]`: a congestion window per sender-to-receiver
//! link, in frames (the lecture's AIMD: "sent 2, ACK ok; then 4; then 8;
//! on a missing ACK, halve"; TCP's saw-tooth). At most `cwnd` frames of a
//! link are unacknowledged at once; the others wait in the layer, in
//! order. Slow start: every acknowledgement adds one frame to the window,
//! doubling it every round trip, up to the threshold SSTHRESH; above it,
//! +1 per round trip (additive increase: 1/cwnd per acknowledgement). A
//! retransmission timeout halves the window and sets the threshold to the
//! halved window (multiplicative decrease), at least one frame.
//!
//! It learns of acknowledgements and timeouts from `stubborn`, which must
//! be below it. Owns the counters `cwnd_max` (the largest window of any
//! link, whole frames) and `cwnd_halvings`; with `--cwnd FROM:TO` it
//! records that link's window over virtual time.

use super::layer::{Cx, Frame, LayerBuild, LayerKind, LinkLayer, Rule, Series, Signal};
use crate::types::{Counters, GeneralId};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// One line for `byzlab strategies` and the docs.
pub const ABOUT: &str = "congestion window per link: slow start, +1 per round trip, halved on a timeout";

/// The window a link starts with, in frames (the lecture's "sent 2").
pub const INITIAL: f64 = 2.0;
/// The slow-start threshold a link starts with, in frames.
pub const SSTHRESH: f64 = 64.0;

/// Its grammar, order rules and factory.
pub fn kind() -> LayerKind {
    LayerKind {
        syntax: "aimd[:INIT[/SSTHRESH]]".into(),
        rules: vec![Rule::Needs(
            "stubborn",
            "whose acknowledgements open its window and whose timeouts halve it",
        )],
        make: Arc::new(|b: &LayerBuild<'_>| {
            let (init, ssthresh) = parse(b.params)?;
            Ok(Box::new(Aimd {
                init,
                ssthresh,
                links: BTreeMap::new(),
                max: 0.0,
                halvings: 0,
                watch: b.watch,
                series: Vec::new(),
            }) as Box<dyn LinkLayer>)
        }),
    }
}

fn parse(p: Option<&str>) -> Result<(f64, f64), String> {
    let Some(p) = p else { return Ok((INITIAL, SSTHRESH)) };
    let bad = || format!("aimd's `{p}` is not INIT[/SSTHRESH]: windows of 1 to 1000000 frames (e.g. aimd:2/64)");
    let num = |t: &str| {
        t.parse::<f64>()
            .ok()
            .filter(|v| (1.0..=1e6).contains(v))
            .ok_or_else(bad)
    };
    match p.split_once('/') {
        Some((i, s)) => Ok((num(i)?, num(s)?)),
        None => Ok((num(p)?, SSTHRESH)),
    }
}

/// One link's window.
struct Window {
    cwnd: f64,
    ssthresh: f64,
    in_flight: u64,
    waiting: VecDeque<Frame>,
}

/// The layer.
pub struct Aimd {
    init: f64,
    ssthresh: f64,
    links: BTreeMap<(GeneralId, GeneralId), Window>,
    max: f64,
    halvings: u64,
    watch: Option<(GeneralId, GeneralId)>,
    series: Vec<(u64, f64)>,
}

impl Aimd {
    fn window(&mut self, link: (GeneralId, GeneralId)) -> &mut Window {
        let (cwnd, ssthresh) = (self.init, self.ssthresh);
        self.links.entry(link).or_insert_with(|| Window {
            cwnd,
            ssthresh,
            in_flight: 0,
            waiting: VecDeque::new(),
        })
    }

    fn record(&mut self, now: u64, link: (GeneralId, GeneralId)) {
        let cwnd = self.window(link).cwnd;
        self.max = self.max.max(cwnd);
        if self.watch == Some(link) {
            if self.series.is_empty() && now > 0 {
                self.series.push((0, self.init));
            }
            self.series.push((now, cwnd));
        }
    }

    /// Sends what the window now allows of `link`'s waiting frames.
    fn release(&mut self, cx: &mut Cx<'_>, link: (GeneralId, GeneralId)) {
        let w = self.window(link);
        while (w.in_flight as f64) < w.cwnd.floor()
            && let Some(frame) = w.waiting.pop_front()
        {
            w.in_flight += 1;
            cx.send(frame);
        }
    }
}

impl LinkLayer for Aimd {
    fn down(&mut self, cx: &mut Cx<'_>, frame: Frame) -> Option<Frame> {
        let link = (frame.env.from, frame.env.to);
        if self.watch == Some(link) && self.series.is_empty() {
            self.record(cx.now, link);
        }
        let w = self.window(link);
        if w.waiting.is_empty() && (w.in_flight as f64) < w.cwnd.floor() {
            w.in_flight += 1;
            Some(frame)
        } else {
            w.waiting.push_back(frame);
            None
        }
    }

    fn signal(&mut self, cx: &mut Cx<'_>, signal: Signal) {
        match signal {
            Signal::Acked { from, to, .. } => {
                let w = self.window((from, to));
                w.in_flight = w.in_flight.saturating_sub(1);
                w.cwnd += if w.cwnd < w.ssthresh { 1.0 } else { 1.0 / w.cwnd };
                self.record(cx.now, (from, to));
                self.release(cx, (from, to));
            }
            Signal::Timeout { from, to, .. } => {
                let w = self.window((from, to));
                w.ssthresh = (w.cwnd / 2.0).max(1.0);
                w.cwnd = w.ssthresh;
                self.halvings += 1;
                self.record(cx.now, (from, to));
            }
            Signal::GaveUp { from, to, .. } => {
                let w = self.window((from, to));
                w.in_flight = w.in_flight.saturating_sub(1);
                self.release(cx, (from, to));
            }
        }
    }

    fn report(&self, counters: &mut Counters, series: &mut Vec<Series>) {
        counters.cwnd_max = counters.cwnd_max.max(self.max.floor() as u64);
        counters.cwnd_halvings += self.halvings;
        if let Some((from, to)) = self.watch {
            series.push(Series {
                name: format!("cwnd {from}->{to}"),
                points: self.series.clone(),
            });
        }
    }
}
