//! Authenticated links: assumptions A1 (every message sent is delivered
//! correctly) and A2 (the receiver knows who sent it). The network stamps the
//! true sender on every frame, whatever the frame claimed.

use super::{Carried, Link, LinkAction};
use crate::types::{Envelope, GeneralId};

/// The paper's reliable, authenticated channel.
pub struct Authenticated;

impl Link for Authenticated {
    fn name(&self) -> String {
        "authenticated".into()
    }

    fn can_alter(&self) -> bool {
        false
    }

    fn delivers_as_sent(&self) -> bool {
        true
    }

    fn carry(&mut self, true_sender: GeneralId, mut env: Envelope, out: &mut Vec<Carried>) {
        env.from = true_sender;
        out.push(Carried {
            env,
            action: LinkAction::Delivered,
        });
    }
}
