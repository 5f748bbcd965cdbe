//! A loopback HTTP health endpoint for rollout tests: answers every GET with the status
//! a rule picks from the request target (path and query), and records the targets.
//! The server is [`crate::receiver::Receiver`] (a test that uses this module declares
//! `receiver` too); binds 127.0.0.1 on an ephemeral port; stopped when dropped.

#![allow(dead_code)]

use crate::receiver::{Answer, Receiver};

pub struct Health(Receiver);

fn by_target(
    rule: impl Fn(&str) -> u16 + Send + 'static,
) -> impl Fn(&crate::receiver::Request) -> Answer + Send + 'static {
    move |q| Answer::status(rule(&q.target))
}

impl Health {
    /// A server answering every request with `rule(target)`.
    pub fn start(rule: impl Fn(&str) -> u16 + Send + 'static) -> Health {
        Health(Receiver::start(by_target(rule)))
    }

    /// `http://127.0.0.1:PORT/healthz`
    pub fn url(&self) -> String {
        format!("{}/healthz", self.0.url())
    }

    /// Replaces the rule.
    pub fn set(&self, rule: impl Fn(&str) -> u16 + Send + 'static) {
        self.0.set(by_target(rule));
    }

    /// The request targets answered so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.0.requests().into_iter().map(|q| q.target).collect()
    }
}
